using Rpc.Contracts.Channels;
using Rpc.Contracts.Protocol;
using Rpc.Server.Data;
using Rpc.Server.Dispatch;
using Rpc.Server.Gateway;

namespace Rpc.Server.Services;

/// <summary>DMs and group DMs: <c>users.channels</c>, <c>users.createDm</c>, <c>users.createGroupDm</c>.</summary>
public sealed partial class UsersService
{
    public const int MaxGroupDmRecipients = 10;
    public const int MaxGroupDmNameLength = 100;

    /// <summary>Most UTF-16 code units of a group DM name.</summary>
    public const int MaxGroupDmNameUnits = 200;

    private static readonly NameLimits GroupDmNameRules = new("name", 1, MaxGroupDmNameLength, MaxGroupDmNameUnits, ErrorData.GroupDmNameLength);

    public async Task<IReadOnlyList<Channel>> ChannelsAsync(int? limit = null, long? after = null, CancellationToken cancellationToken = default)
    {
        var userId = callContext.Current.RequireCaller().UserId;
        var rows = await channels.ListForUserAsync(userId, after, Paging.Limit(limit), cancellationToken).ConfigureAwait(false);
        return await ToChannelsAsync(userId, rows, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Every DM and group DM of <paramref name="userId"/>, for the gateway's READY.</summary>
    internal async Task<IReadOnlyList<Channel>> AllChannelsOfAsync(long userId, CancellationToken cancellationToken)
    {
        var all = new List<Channel>();
        long? after = null;
        while (true)
        {
            var page = await channels.ListForUserAsync(userId, after, Paging.MaxLimit, cancellationToken).ConfigureAwait(false);
            all.AddRange(await ToChannelsAsync(userId, page, cancellationToken).ConfigureAwait(false));
            if (page.Count < Paging.MaxLimit)
            {
                return all;
            }

            after = page[^1].Id;
        }
    }

    public async Task<Channel> CreateDmAsync(long recipientId, CancellationToken cancellationToken = default)
    {
        var userId = callContext.Current.RequireCaller().UserId;
        if (recipientId == userId)
        {
            throw RpcException.App(ErrorData.DmWithSelf);
        }

        _ = await users.FindLiveAsync(recipientId, cancellationToken).ConfigureAwait(false) ?? throw RpcException.App(ErrorData.UnknownUser);
        var dmKey = ChannelRepository.DmKeyOf(userId, recipientId);
        if (await channels.FindDmAsync(dmKey, cancellationToken).ConfigureAwait(false) is { } existing)
        {
            return (await ToChannelsAsync(userId, [existing], cancellationToken).ConfigureAwait(false))[0];
        }

        // Two racing calls both get here; the UNIQUE dm_key lets one create and the other read its channel.
        var created = await channels.TryCreateDmAsync(ids.Next(), userId, recipientId, Now(), cancellationToken).ConfigureAwait(false);
        var row = await channels.FindDmAsync(dmKey, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"DM {dmKey} vanished after creation");
        var channel = (await ToChannelsAsync(userId, [row], cancellationToken).ConfigureAwait(false))[0];
        if (created)
        {
            PublishChannelCreate(channel);
        }

        return channel;
    }

    public async Task<Channel> CreateGroupDmAsync(IReadOnlyList<long> recipientIds, string? name = null, CancellationToken cancellationToken = default)
    {
        var userId = callContext.Current.RequireCaller().UserId;
        if (recipientIds.Count is < 1 or > MaxGroupDmRecipients)
        {
            throw RpcException.App(ErrorData.GroupDmRecipientCount);
        }

        if (recipientIds.Distinct().Count() != recipientIds.Count)
        {
            throw RpcException.App(ErrorData.GroupDmDuplicateRecipient);
        }

        if (recipientIds.Contains(userId))
        {
            throw RpcException.App(ErrorData.GroupDmIncludesSelf);
        }

        var groupName = name is null ? null : NameText.Normalize(name, GroupDmNameRules);

        var found = (await users.FindLiveManyAsync(recipientIds, cancellationToken).ConfigureAwait(false)).Select(u => u.Id).ToHashSet();
        foreach (var recipientId in recipientIds)
        {
            if (!found.Contains(recipientId))
            {
                throw RpcException.App(ErrorData.UnknownRecipient(recipientId));
            }
        }

        var id = ids.Next();
        await channels.CreateGroupDmAsync(id, userId, groupName, [userId, .. recipientIds], Now(), cancellationToken).ConfigureAwait(false);
        var channel = (await ToChannelsAsync(userId, [new ChannelRow { Id = id, Type = ChannelRepository.GroupDmType, Name = groupName, OwnerId = userId }], cancellationToken).ConfigureAwait(false))[0];
        PublishChannelCreate(channel);
        return channel;
    }

    /// <summary>CHANNEL_CREATE to every user in the channel; presence is left out (the gateway shows each viewer what it may see).</summary>
    private void PublishChannelCreate(Channel channel)
    {
        var payload = channel with { Recipients = channel.Recipients.Select(u => u with { Presence = null }).ToArray() };
        bus.Publish(new DispatchEvent("CHANNEL_CREATE", payload, new EventAudience.Users(channel.Recipients.Select(u => u.Id).ToArray())));
    }

    /// <summary>Channel objects with their recipients as <paramref name="viewerId"/> sees them (they share the channel, so presence shows).</summary>
    private async Task<IReadOnlyList<Channel>> ToChannelsAsync(long viewerId, IReadOnlyList<ChannelRow> rows, CancellationToken cancellationToken)
    {
        var recipients = (await channels.RecipientsAsync(rows.Select(r => r.Id).ToArray(), cancellationToken).ConfigureAwait(false))
            .ToLookup(r => r.ChannelId, r => UserMapper.ToUser(r.User, PresenceService.Project(viewerId, r.User.Id, presence.GetStatus(r.User.Id))));
        return rows.Select(row => new Channel
        {
            Id = row.Id,
            Type = (ChannelType)row.Type,
            Recipients = recipients[row.Id].ToArray(),
            OwnerId = row.OwnerId,
            Name = row.Name,
        }).ToArray();
    }
}
