using Rpc.Contracts.Protocol;
using Rpc.Contracts.Users;
using Rpc.Server.Data;
using Rpc.Server.Errors;
using Rpc.Server.Events;
using Rpc.Contracts.Gateway;

namespace Rpc.Server.Services;

/// <summary>
/// The <c>users.relationships*</c> and <c>users.settings.*</c> methods, as Discord's relationships work:
/// each side has its own row; a request is accepted by adding back; a block is the blocker's row alone
/// and the blocked side only ever sees what an unfriend, a cancel or a decline would show it. Every
/// change reads and writes in one write transaction (writers run one at a time), so two users adding
/// each other at once end as friends.
/// </summary>
public sealed class RelationshipsService(
    RelationshipRepository relationships,
    UserRepository users,
    DbConnectionFactory connections,
    PresenceService presence,
    ServiceCallAccessor call,
    IEventBus bus,
    TimeProvider clock) : IRelationshipsApi
{
    public const string AddEvent = GatewayEvents.RelationshipAdd;
    public const string RemoveEvent = GatewayEvents.RelationshipRemove;
    public const string SettingsEvent = GatewayEvents.UserSettingsUpdate;

    public Task<IReadOnlyList<Relationship>> RelationshipsAsync(CancellationToken cancellationToken = default) =>
        ListOfAsync(call.Current.RequireCaller().UserId, cancellationToken);

    /// <summary>Every relationship of <paramref name="userId"/> as it sees them (also for the gateway's READY).</summary>
    internal async Task<IReadOnlyList<Relationship>> ListOfAsync(long userId, CancellationToken cancellationToken)
    {
        var rows = await relationships.ListAsync(userId, cancellationToken).ConfigureAwait(false);
        var others = (await users.FindLiveManyAsync(rows.Select(r => r.OtherId).ToArray(), cancellationToken).ConfigureAwait(false)).ToDictionary(u => u.Id);
        return rows.Where(r => others.ContainsKey(r.OtherId)).Select(r => ToRelationship(userId, r.OtherId, r.Type, r.Since, others[r.OtherId])).ToArray();
    }

    public async Task<Relationship> AddAsync(long? userId = null, string? username = null, CancellationToken cancellationToken = default)
    {
        var callerId = call.Current.RequireCaller().UserId;
        if ((userId is null) == (username is null))
        {
            throw ServiceException.InvalidArgument(ErrorData.RelationshipTargetParams);
        }

        var target = (userId is { } id ? await users.FindLiveAsync(id, cancellationToken).ConfigureAwait(false) : await AccountLookup.FindByNameAsync(users, username!, uniqueUsernames: false, ErrorData.RelationshipUsernameAmbiguous, cancellationToken).ConfigureAwait(false))
            ?? throw ServiceException.Refused(ErrorData.UnknownUser);
        if (target.Id == callerId)
        {
            throw ServiceException.Refused(ErrorData.RelationshipWithSelf);
        }

        long now;
        int type;
        long since;
        bool changed;
        await using (var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false))
        await using (var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false))
        {
            now = clock.NowMilliseconds();
            var mine = await RelationshipRepository.FindAsync(connection, transaction, callerId, target.Id, cancellationToken).ConfigureAwait(false);
            switch (mine?.Type)
            {
                case RelationshipRepository.Friend or RelationshipRepository.Outgoing:
                    (type, since, changed) = (mine.Type, mine.Since, false);
                    break;
                case RelationshipRepository.Blocked:
                    throw ServiceException.Refused(ErrorData.FriendRequestToBlocked);
                case RelationshipRepository.Incoming:
                    await RelationshipRepository.SetAsync(connection, transaction, callerId, target.Id, RelationshipRepository.Friend, now, cancellationToken).ConfigureAwait(false);
                    await RelationshipRepository.SetAsync(connection, transaction, target.Id, callerId, RelationshipRepository.Friend, now, cancellationToken).ConfigureAwait(false);
                    (type, since, changed) = (RelationshipRepository.Friend, now, true);
                    break;
                default:
                    if (!await AcceptsRequestFromAsync(connection, transaction, target.Id, callerId, cancellationToken).ConfigureAwait(false))
                    {
                        throw ServiceException.Refused(ErrorData.FriendRequestRefused);
                    }

                    await RelationshipRepository.SetAsync(connection, transaction, callerId, target.Id, RelationshipRepository.Outgoing, now, cancellationToken).ConfigureAwait(false);
                    await RelationshipRepository.SetAsync(connection, transaction, target.Id, callerId, RelationshipRepository.Incoming, now, cancellationToken).ConfigureAwait(false);
                    (type, since, changed) = (RelationshipRepository.Outgoing, now, true);
                    break;
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        var relationship = ToRelationship(callerId, target.Id, type, since, target);
        if (changed && await users.FindLiveAsync(callerId, cancellationToken).ConfigureAwait(false) is { } caller)
        {
            bus.Publish(new DispatchEvent(AddEvent, relationship, new EventAudience.Users([callerId])));
            var theirType = type == RelationshipRepository.Friend ? RelationshipRepository.Friend : RelationshipRepository.Incoming;
            bus.Publish(new DispatchEvent(AddEvent, ToRelationship(target.Id, callerId, theirType, since, caller), new EventAudience.Users([target.Id])));
        }

        return relationship;
    }

    public async Task<Relationship> BlockAsync(long userId, CancellationToken cancellationToken = default)
    {
        var callerId = call.Current.RequireCaller().UserId;
        if (userId == callerId)
        {
            throw ServiceException.Refused(ErrorData.RelationshipWithSelf);
        }

        var target = await users.FindLiveAsync(userId, cancellationToken).ConfigureAwait(false) ?? throw ServiceException.Refused(ErrorData.UnknownUser);
        long now;
        RelationshipRow? mine, theirs;
        await using (var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false))
        await using (var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false))
        {
            now = clock.NowMilliseconds();
            mine = await RelationshipRepository.FindAsync(connection, transaction, callerId, userId, cancellationToken).ConfigureAwait(false);
            if (mine is { Type: RelationshipRepository.Blocked })
            {
                return ToRelationship(callerId, userId, mine.Type, mine.Since, target);
            }

            theirs = await RelationshipRepository.FindAsync(connection, transaction, userId, callerId, cancellationToken).ConfigureAwait(false);
            await RelationshipRepository.SetAsync(connection, transaction, callerId, userId, RelationshipRepository.Blocked, now, cancellationToken).ConfigureAwait(false);
            if (theirs is { Type: not RelationshipRepository.Blocked })
            {
                await RelationshipRepository.DeleteAsync(connection, transaction, userId, callerId, cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        var relationship = ToRelationship(callerId, userId, RelationshipRepository.Blocked, now, target);
        bus.Publish(new DispatchEvent(AddEvent, relationship, new EventAudience.Users([callerId])));

        // The blocked user sees exactly what an unfriend, a cancelled or a declined request shows it.
        if (theirs is { Type: not RelationshipRepository.Blocked })
        {
            PublishRemoved(userId, callerId, theirs.Type);
        }

        return relationship;
    }

    public async Task<bool> RemoveAsync(long userId, CancellationToken cancellationToken = default)
    {
        var callerId = call.Current.RequireCaller().UserId;
        if (userId == callerId)
        {
            throw ServiceException.Refused(ErrorData.RelationshipWithSelf);
        }

        RelationshipRow mine;
        RelationshipRow? theirs = null;
        await using (var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false))
        await using (var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false))
        {
            mine = await RelationshipRepository.FindAsync(connection, transaction, callerId, userId, cancellationToken).ConfigureAwait(false)
                ?? throw ServiceException.Refused(ErrorData.NoRelationship);
            await RelationshipRepository.DeleteAsync(connection, transaction, callerId, userId, cancellationToken).ConfigureAwait(false);

            // Unblocking touches only the blocker's row; the other side's own block, if any, stays.
            if (mine.Type != RelationshipRepository.Blocked)
            {
                theirs = await RelationshipRepository.FindAsync(connection, transaction, userId, callerId, cancellationToken).ConfigureAwait(false);
                if (theirs is { Type: not RelationshipRepository.Blocked })
                {
                    await RelationshipRepository.DeleteAsync(connection, transaction, userId, callerId, cancellationToken).ConfigureAwait(false);
                }
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        PublishRemoved(callerId, userId, mine.Type);
        if (theirs is { Type: not RelationshipRepository.Blocked })
        {
            PublishRemoved(userId, callerId, theirs.Type);
        }

        return true;
    }

    public async Task<UserSettings> GetSettingsAsync(CancellationToken cancellationToken = default) =>
        ToSettings(await relationships.SettingsAsync(call.Current.RequireCaller().UserId, cancellationToken).ConfigureAwait(false));

    public async Task<UserSettings> UpdateSettingsAsync(bool? allowDmsFromGuildMembers = null, FriendRequestsFrom? friendRequestsFrom = null, CancellationToken cancellationToken = default)
    {
        var userId = call.Current.RequireCaller().UserId;
        UserSettingsRow before, after;
        await using (var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false))
        await using (var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false))
        {
            before = await RelationshipRepository.SettingsAsync(connection, transaction, userId, cancellationToken).ConfigureAwait(false);
            after = before with
            {
                AllowDmsFromGuildMembers = allowDmsFromGuildMembers ?? before.AllowDmsFromGuildMembers,
                FriendRequestsFrom = friendRequestsFrom is { } from ? WireName(from) : before.FriendRequestsFrom,
            };
            if (after == before)
            {
                return ToSettings(before);
            }

            await RelationshipRepository.SaveSettingsAsync(connection, transaction, userId, after, cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        var settings = ToSettings(after);
        bus.Publish(new DispatchEvent(SettingsEvent, settings, new EventAudience.Users([userId])));
        return settings;
    }

    /// <summary>Whether <paramref name="recipientId"/> takes a friend request from <paramref name="senderId"/>: its setting allows it and it does not block the sender.</summary>
    private static async Task<bool> AcceptsRequestFromAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction, long recipientId, long senderId, CancellationToken cancellationToken)
    {
        if (await RelationshipRepository.FindAsync(connection, transaction, recipientId, senderId, cancellationToken).ConfigureAwait(false) is { Type: RelationshipRepository.Blocked })
        {
            return false;
        }

        return (await RelationshipRepository.SettingsAsync(connection, transaction, recipientId, cancellationToken).ConfigureAwait(false)).FriendRequestsFrom switch
        {
            UserSettingsRow.Nobody => false,
            UserSettingsRow.MutualGuilds => await RelationshipRepository.ShareGuildAsync(connection, transaction, recipientId, senderId, cancellationToken).ConfigureAwait(false),
            _ => true,
        };
    }

    private void PublishRemoved(long receiverId, long otherId, int type) =>
        bus.Publish(new DispatchEvent(RemoveEvent, new RelationshipRemoved { Id = otherId, Type = (RelationshipType)type }, new EventAudience.Users([receiverId])));

    /// <summary><paramref name="viewerId"/>'s relationship with <paramref name="other"/>; presence shows for friends only.</summary>
    private Relationship ToRelationship(long viewerId, long otherId, int type, long since, UserRow other) => new()
    {
        Id = otherId,
        Type = (RelationshipType)type,
        User = UserMapper.ToUser(other, type == RelationshipRepository.Friend ? PresenceService.Project(viewerId, otherId, presence.GetStatus(otherId)) : null),
        Since = DateTimeOffset.FromUnixTimeMilliseconds(since),
    };

    private static UserSettings ToSettings(UserSettingsRow row) => new()
    {
        AllowDmsFromGuildMembers = row.AllowDmsFromGuildMembers,
        FriendRequestsFrom = row.FriendRequestsFrom switch
        {
            UserSettingsRow.MutualGuilds => FriendRequestsFrom.MutualGuilds,
            UserSettingsRow.Nobody => FriendRequestsFrom.Nobody,
            _ => FriendRequestsFrom.Everyone,
        },
    };

    private static string WireName(FriendRequestsFrom from) => from switch
    {
        FriendRequestsFrom.MutualGuilds => UserSettingsRow.MutualGuilds,
        FriendRequestsFrom.Nobody => UserSettingsRow.Nobody,
        _ => UserSettingsRow.Everyone,
    };
}
