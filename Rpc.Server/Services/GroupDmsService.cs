using Rpc.Contracts.Channels;
using Rpc.Contracts.Protocol;
using Rpc.Server.Data;
using Rpc.Server.Errors;
using Rpc.Server.Events;
using Rpc.Contracts.Gateway;

namespace Rpc.Server.Services;

/// <summary>
/// <c>users.groupDm.*</c> and <c>users.closeDm</c>: adding friends to a group DM, removing recipients
/// (owner), leaving (ownership passes to the longest-standing recipient; the last one out deletes the
/// group), renaming (owner), and closing a one-to-one DM until it is opened again.
/// </summary>
public sealed class GroupDmsService(
    DbConnectionFactory connections,
    UserRepository users,
    ChannelViews views,
    ServiceCallAccessor call,
    IEventBus bus,
    TimeProvider clock) : IGroupDmsApi
{
    public async Task<Channel> AddRecipientAsync(long channelId, long userId, CancellationToken cancellationToken = default)
    {
        var callerId = call.Current.RequireCaller().UserId;
        ChannelRow row;
        IReadOnlyList<long> before;
        UserRow? added = null;
        await using (var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false))
        await using (var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false))
        {
            row = await FindGroupAsync(connection, transaction, channelId, callerId, cancellationToken).ConfigureAwait(false);
            before = await ChannelRepository.RecipientIdsAsync(connection, transaction, channelId, cancellationToken).ConfigureAwait(false);
            if (!before.Contains(userId))
            {
                added = await UserRepository.FindLiveAsync(connection, transaction, userId, cancellationToken).ConfigureAwait(false)
                    ?? throw ServiceException.Refused(ErrorData.UnknownUser);
                if (!(await RelationshipRepository.FriendsAmongAsync(connection, transaction, callerId, [userId], cancellationToken).ConfigureAwait(false)).Contains(userId))
                {
                    throw ServiceException.Refused(ErrorData.GroupDmNotFriend(userId));
                }

                if (before.Count >= ChannelService.MaxGroupDmRecipients + 1)
                {
                    throw ServiceException.Refused(ErrorData.GroupDmFull);
                }

                await ChannelRepository.AddRecipientAsync(connection, transaction, channelId, userId, clock.NowMilliseconds(), cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        var channel = await views.ToChannelAsync(callerId, row, cancellationToken).ConfigureAwait(false);
        if (added is not null)
        {
            bus.Publish(new DispatchEvent(GatewayEvents.ChannelRecipientAdd, new ChannelRecipientEvent { ChannelId = channelId, User = UserMapper.ToUser(added), OwnerId = row.OwnerId }, new EventAudience.Users(before)));
            views.Publish(GatewayEvents.ChannelCreate, channel, [userId]);
        }

        return channel;
    }

    public async Task<Channel> RemoveRecipientAsync(long channelId, long userId, CancellationToken cancellationToken = default)
    {
        var callerId = call.Current.RequireCaller().UserId;
        ChannelRow row;
        IReadOnlyList<long> remaining;
        await using (var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false))
        await using (var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false))
        {
            row = await FindGroupAsync(connection, transaction, channelId, callerId, cancellationToken).ConfigureAwait(false);
            if (row.OwnerId != callerId)
            {
                throw ServiceException.Refused(ErrorData.NotGroupDmOwner);
            }

            if (userId == callerId)
            {
                throw ServiceException.Refused(ErrorData.RemoveSelfFromGroupDm);
            }

            if (!(await ChannelRepository.RecipientIdsAsync(connection, transaction, channelId, cancellationToken).ConfigureAwait(false)).Contains(userId))
            {
                throw ServiceException.Refused(ErrorData.NotGroupDmRecipient);
            }

            remaining = await ChannelRepository.RemoveRecipientAsync(connection, transaction, channelId, userId, cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        await PublishLeftAsync(row, userId, row.OwnerId, remaining, cancellationToken).ConfigureAwait(false);
        return await views.ToChannelAsync(callerId, row, cancellationToken).ConfigureAwait(false);
    }

    public async Task<bool> LeaveAsync(long channelId, CancellationToken cancellationToken = default)
    {
        var callerId = call.Current.RequireCaller().UserId;
        ChannelRow row;
        IReadOnlyList<long> remaining;
        var owner = (long?)null;
        await using (var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false))
        await using (var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false))
        {
            row = await FindGroupAsync(connection, transaction, channelId, callerId, cancellationToken).ConfigureAwait(false);
            owner = row.OwnerId;
            remaining = await ChannelRepository.RemoveRecipientAsync(connection, transaction, channelId, callerId, cancellationToken).ConfigureAwait(false);
            if (remaining.Count == 0)
            {
                await ChannelRepository.DeleteAsync(connection, transaction, channelId, cancellationToken).ConfigureAwait(false);
            }
            else if (row.OwnerId == callerId)
            {
                owner = remaining[0];
                await ChannelRepository.SetOwnerAsync(connection, transaction, channelId, remaining[0], cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        await PublishLeftAsync(row, callerId, owner, remaining, cancellationToken).ConfigureAwait(false);
        if (owner != row.OwnerId && remaining.Count > 0)
        {
            var updated = await views.ToChannelAsync(remaining[0], row with { OwnerId = owner }, cancellationToken).ConfigureAwait(false);
            views.Publish(GatewayEvents.ChannelUpdate, updated, remaining);
        }

        return true;
    }

    public async Task<Channel> UpdateAsync(long channelId, string? name, CancellationToken cancellationToken = default)
    {
        var callerId = call.Current.RequireCaller().UserId;
        var groupName = ChannelService.CheckGroupDmName(name);
        ChannelRow row;
        await using (var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false))
        await using (var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false))
        {
            row = await FindGroupAsync(connection, transaction, channelId, callerId, cancellationToken).ConfigureAwait(false);
            if (row.OwnerId != callerId)
            {
                throw ServiceException.Refused(ErrorData.NotGroupDmOwner);
            }

            if (row.Name == groupName)
            {
                return await views.ToChannelAsync(callerId, row, cancellationToken).ConfigureAwait(false);
            }

            await ChannelRepository.SetNameAsync(connection, transaction, channelId, groupName, cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        var channel = await views.ToChannelAsync(callerId, row with { Name = groupName }, cancellationToken).ConfigureAwait(false);
        views.Publish(GatewayEvents.ChannelUpdate, channel, channel.Recipients.Select(u => u.Id).ToArray());
        return channel;
    }

    public async Task<bool> CloseDmAsync(long channelId, CancellationToken cancellationToken = default)
    {
        var callerId = call.Current.RequireCaller().UserId;
        bool closed;
        await using (var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false))
        await using (var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false))
        {
            var row = await ChannelRepository.FindForRecipientAsync(connection, transaction, channelId, callerId, cancellationToken).ConfigureAwait(false)
                ?? throw ServiceException.Refused(ErrorData.UnknownChannel);
            if (row.Type != ChannelRepository.DmType)
            {
                throw ServiceException.Refused(ErrorData.CloseGroupDm);
            }

            closed = await ChannelRepository.SetClosedAsync(connection, transaction, channelId, callerId, true, cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        if (closed)
        {
            bus.Publish(new DispatchEvent(GatewayEvents.ChannelDelete, new ChannelDeleted { Id = channelId, Type = ChannelType.Dm }, new EventAudience.Users([callerId])));
        }

        return true;
    }

    /// <summary>CHANNEL_DELETE to the user who left, CHANNEL_RECIPIENT_REMOVE to those who stay.</summary>
    private async Task PublishLeftAsync(ChannelRow row, long leftId, long? ownerAfter, IReadOnlyList<long> remaining, CancellationToken cancellationToken)
    {
        bus.Publish(new DispatchEvent(GatewayEvents.ChannelDelete, new ChannelDeleted { Id = row.Id, Type = ChannelType.GroupDm }, new EventAudience.Users([leftId])));
        if (remaining.Count > 0 && await users.FindByIdAsync(leftId, cancellationToken).ConfigureAwait(false) is { } left)
        {
            bus.Publish(new DispatchEvent(
                GatewayEvents.ChannelRecipientRemove,
                new ChannelRecipientEvent { ChannelId = row.Id, User = UserMapper.ToUser(left), OwnerId = ownerAfter },
                new EventAudience.Users(remaining)));
        }
    }

    /// <summary>The group DM <paramref name="channelId"/> when <paramref name="userId"/> is in it.</summary>
    private static async Task<ChannelRow> FindGroupAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction, long channelId, long userId, CancellationToken cancellationToken)
    {
        var row = await ChannelRepository.FindForRecipientAsync(connection, transaction, channelId, userId, cancellationToken).ConfigureAwait(false)
            ?? throw ServiceException.Refused(ErrorData.UnknownChannel);
        return row.Type == ChannelRepository.GroupDmType ? row : throw ServiceException.Refused(ErrorData.NotGroupDm);
    }
}
