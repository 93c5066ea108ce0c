using Microsoft.Extensions.Options;
using Rpc.Contracts.Channels;
using Rpc.Contracts.Protocol;
using Rpc.Server.Data;
using Rpc.Server.Errors;
using Rpc.Server.Security;
using Rpc.Server.Events;
using Rpc.Contracts.Users;
using Rpc.Contracts.Gateway;

namespace Rpc.Server.Services;

/// <summary>
/// DMs and group DMs: <c>users.channels</c>, <c>users.createDm</c>, <c>users.createGroupDm</c>. A DM
/// needs consent (friends, or guild mates the recipient allows; never across a block); a group DM
/// takes only the creator's friends.
/// </summary>
public sealed class ChannelService(
    UserRepository users,
    ChannelRepository channels,
    DbConnectionFactory connections,
    SnowflakeGenerator ids,
    ServiceCallAccessor call,
    TimeProvider clock,
    ChannelViews channelViews,
    IOptions<UserCapsOptions> caps) : IUserChannelsApi
{
    public const int MaxGroupDmRecipients = 10;
    public const int MaxGroupDmNameLength = 100;

    /// <summary>Most UTF-16 code units of a group DM name.</summary>
    public const int MaxGroupDmNameUnits = 200;

    private static readonly NameLimits GroupDmNameRules = new("name", 1, MaxGroupDmNameLength, MaxGroupDmNameUnits, ErrorData.GroupDmNameLength);

    public async Task<IReadOnlyList<Channel>> ChannelsAsync(int? limit = null, long? after = null, CancellationToken cancellationToken = default)
    {
        var userId = call.Current.RequireCaller().UserId;
        var rows = await channels.ListForUserAsync(userId, after, Paging.Limit(limit), cancellationToken).ConfigureAwait(false);
        return await channelViews.ToChannelsAsync(userId, rows, cancellationToken).ConfigureAwait(false);
    }

    public async Task<Channel> CreateDmAsync(long recipientId, int? type = null, CancellationToken cancellationToken = default)
    {
        if (type is not null and not ChannelRepository.DmType)
        {
            throw ServiceException.InvalidArgument(ErrorData.DmTypeInvalid);
        }

        var userId = call.Current.RequireCaller().UserId;
        if (recipientId == userId)
        {
            throw ServiceException.Refused(ErrorData.DmWithSelf);
        }

        _ = await users.FindLiveAsync(recipientId, cancellationToken).ConfigureAwait(false) ?? throw ServiceException.Refused(ErrorData.UnknownUser);

        // Consent is checked in the transaction that creates or reopens the DM, and writers run one at a
        // time: a block committed first refuses this call; one committed after finds a DM made with consent.
        bool created, reopened = false;
        ChannelRow row;
        await using (var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false))
        await using (var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false))
        {
            var now = clock.NowMilliseconds();
            if (!await RelationshipRepository.MayOpenDmAsync(connection, transaction, userId, recipientId, cancellationToken).ConfigureAwait(false))
            {
                throw ServiceException.Refused(ErrorData.DmNotAllowed);
            }

            var existing = await ChannelRepository.FindDmAsync(connection, transaction, ChannelRepository.DmKeyOf(userId, recipientId), cancellationToken).ConfigureAwait(false);
            created = existing is null;
            if (existing is null)
            {
                var opened = await ChannelRepository.CountDmsOpenedSinceAsync(connection, transaction, userId, now - (long)TimeSpan.FromHours(1).TotalMilliseconds, cancellationToken).ConfigureAwait(false);
                if (opened >= caps.Value.DmsOpenedPerHour)
                {
                    throw ServiceException.Refused(ErrorData.TooManyDmsOpened(caps.Value.DmsOpenedPerHour));
                }

                row = new ChannelRow { Id = ids.Next(), Type = ChannelRepository.DmType };
                if (!await ChannelRepository.TryCreateDmAsync(connection, transaction, row.Id, userId, recipientId, now, cancellationToken).ConfigureAwait(false))
                {
                    throw new InvalidOperationException($"DM of {userId} and {recipientId} appeared inside a write transaction");
                }
            }
            else
            {
                row = existing;
                reopened = await ChannelRepository.SetClosedAsync(connection, transaction, existing.Id, userId, false, cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        var channel = await channelViews.ToChannelAsync(userId, row, cancellationToken).ConfigureAwait(false);
        if (created)
        {
            channelViews.Publish(GatewayEvents.ChannelCreate, channel, [userId, recipientId]);
        }
        else if (reopened)
        {
            channelViews.Publish(GatewayEvents.ChannelCreate, channel, [userId]);
        }

        return channel;
    }

    public async Task<Channel> CreateGroupDmAsync(IReadOnlyList<long> recipientIds, string? name = null, int? type = null, CancellationToken cancellationToken = default)
    {
        if (type is not null and not ChannelRepository.GroupDmType)
        {
            throw ServiceException.InvalidArgument(ErrorData.GroupDmTypeInvalid);
        }

        var userId = call.Current.RequireCaller().UserId;
        if (recipientIds.Count is < 1 or > MaxGroupDmRecipients)
        {
            throw ServiceException.Refused(ErrorData.GroupDmRecipientCount);
        }

        if (recipientIds.Distinct().Count() != recipientIds.Count)
        {
            throw ServiceException.Refused(ErrorData.GroupDmDuplicateRecipient);
        }

        if (recipientIds.Contains(userId))
        {
            throw ServiceException.Refused(ErrorData.GroupDmIncludesSelf);
        }

        var groupName = CheckGroupDmName(name);
        var found = (await users.FindLiveManyAsync(recipientIds, cancellationToken).ConfigureAwait(false)).Select(u => u.Id).ToHashSet();
        foreach (var recipientId in recipientIds)
        {
            if (!found.Contains(recipientId))
            {
                throw ServiceException.Refused(ErrorData.UnknownRecipient(recipientId));
            }
        }

        var id = ids.Next();
        await using (var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false))
        await using (var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false))
        {
            var friends = await RelationshipRepository.FriendsAmongAsync(connection, transaction, userId, recipientIds, cancellationToken).ConfigureAwait(false);
            foreach (var recipientId in recipientIds.Where(r => !friends.Contains(r)))
            {
                throw ServiceException.Refused(ErrorData.GroupDmNotFriend(recipientId));
            }

            if (await ChannelRepository.CountOwnedGroupDmsAsync(connection, transaction, userId, cancellationToken).ConfigureAwait(false) >= caps.Value.GroupDmsOwned)
            {
                throw ServiceException.Refused(ErrorData.TooManyGroupDms(caps.Value.GroupDmsOwned));
            }

            await ChannelRepository.CreateGroupDmAsync(connection, transaction, id, userId, groupName, [userId, .. recipientIds], clock.NowMilliseconds(), cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        var channel = await channelViews.ToChannelAsync(userId, new ChannelRow { Id = id, Type = ChannelRepository.GroupDmType, Name = groupName, OwnerId = userId }, cancellationToken).ConfigureAwait(false);
        channelViews.Publish(GatewayEvents.ChannelCreate, channel, channel.Recipients.Select(u => u.Id).ToArray());
        return channel;
    }

    /// <summary>A group DM name trimmed, or null for none; 1 to 100 characters.</summary>
    internal static string? CheckGroupDmName(string? name) => name is null ? null : NameText.Normalize(name, GroupDmNameRules);
}
