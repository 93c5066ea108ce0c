using System.Data.Common;
using Rpc.Contracts.Channels;
using Rpc.Contracts.Gateway;
using Rpc.Contracts.Guilds;
using Rpc.Server.Data;
using Rpc.Server.Events;

namespace Rpc.Server.Services;

/// <summary>
/// One part of soft-deleting a user, run inside the delete's transaction (so it commits with the
/// delete or not at all). Each returns the bus messages to publish once the delete has committed.
/// Features that keep per-user state (sessions here; guild and group DM membership) register one:
/// <c>services.AddSingleton&lt;IUserDeletionStep, TheirStep&gt;()</c>.
/// </summary>
public interface IUserDeletionStep
{
    Task<IReadOnlyList<BusMessage>> RunAsync(DbConnection connection, DbTransaction transaction, long userId, long now, CancellationToken cancellationToken);
}

/// <summary>A deleted user's sessions end and its gateway connections close (code 4005).</summary>
public sealed class EndSessionsOnUserDeletion : IUserDeletionStep
{
    public async Task<IReadOnlyList<BusMessage>> RunAsync(DbConnection connection, DbTransaction transaction, long userId, long now, CancellationToken cancellationToken)
    {
        await SessionRevocation.RevokeAllAsync(connection, transaction, userId, now, cancellationToken).ConfigureAwait(false);
        return [new CloseConnections(userId, null, GatewayCloseCodes.AccountDeleted, "account deleted")];
    }
}

/// <summary>
/// A deleted user leaves its guilds and group DMs. A guild it owns passes to its longest-standing
/// member (earliest joined_at, lowest id on a tie; GUILD_UPDATE to the members), or is deleted when
/// nobody else is in it. A group DM it owns passes to its longest-standing remaining recipient (as
/// <c>users.groupDm.leave</c> does); an emptied group DM is deleted. 1:1 DMs stay so the other side keeps them.
/// </summary>
public sealed class LeaveGuildsAndGroupDmsOnUserDeletion : IUserDeletionStep
{
    public async Task<IReadOnlyList<BusMessage>> RunAsync(DbConnection connection, DbTransaction transaction, long userId, long now, CancellationToken cancellationToken)
    {
        var messages = new List<BusMessage>();
        var user = UserMapper.ToUser((await UserAdministration.FindByIdAsync(connection, transaction, userId, cancellationToken).ConfigureAwait(false))!);
        foreach (var (guildId, ownerId) in await GuildRepository.MembershipsAsync(connection, transaction, userId, cancellationToken).ConfigureAwait(false))
        {
            if (ownerId == userId)
            {
                var heir = await GuildRepository.LongestStandingMemberAsync(connection, transaction, guildId, userId, cancellationToken).ConfigureAwait(false);
                if (heir is null)
                {
                    await GuildRepository.DeleteAsync(connection, transaction, guildId, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                await GuildRepository.SetOwnerAsync(connection, transaction, guildId, heir.Value, cancellationToken).ConfigureAwait(false);
            }

            await GuildRepository.RemoveMemberAsync(connection, transaction, guildId, userId, cancellationToken).ConfigureAwait(false);
            messages.Add(new DispatchEvent(GatewayEvents.GuildMemberRemove, new GuildMemberEvent { GuildId = guildId, User = user }, new EventAudience.GuildMembers(guildId)));
            if (ownerId == userId)
            {
                var guild = GuildMapper.ToGuild((await GuildRepository.FindAsync(connection, transaction, guildId, cancellationToken).ConfigureAwait(false))!);
                messages.Add(new DispatchEvent(GatewayEvents.GuildUpdate, guild, new EventAudience.GuildMembers(guildId)));
            }
        }

        foreach (var (channelId, ownerId) in await ChannelRepository.GroupDmsOfAsync(connection, transaction, userId, cancellationToken).ConfigureAwait(false))
        {
            var remaining = await ChannelRepository.RemoveRecipientAsync(connection, transaction, channelId, userId, cancellationToken).ConfigureAwait(false);
            if (remaining.Count == 0)
            {
                await ChannelRepository.DeleteAsync(connection, transaction, channelId, cancellationToken).ConfigureAwait(false);
                continue;
            }

            var newOwner = ownerId;
            if (ownerId == userId)
            {
                newOwner = remaining[0];
                await ChannelRepository.SetOwnerAsync(connection, transaction, channelId, remaining[0], cancellationToken).ConfigureAwait(false);
            }

            messages.Add(new DispatchEvent(
                GatewayEvents.ChannelRecipientRemove,
                new ChannelRecipientEvent { ChannelId = channelId, User = user, OwnerId = newOwner },
                new EventAudience.Users(remaining)));
        }

        return messages;
    }
}

/// <summary>
/// A deleted user's relationships and settings go; each user who had a relationship with it gets
/// RELATIONSHIP_REMOVE (a user it had blocked had none to lose, so it learns nothing).
/// </summary>
public sealed class RemoveRelationshipsOnUserDeletion : IUserDeletionStep
{
    public async Task<IReadOnlyList<BusMessage>> RunAsync(DbConnection connection, DbTransaction transaction, long userId, long now, CancellationToken cancellationToken)
    {
        var theirs = await RelationshipRepository.DeleteAllOfAsync(connection, transaction, userId, cancellationToken).ConfigureAwait(false);
        return theirs.Select(r => (BusMessage)new DispatchEvent(
            RelationshipsService.RemoveEvent,
            new Rpc.Contracts.Users.RelationshipRemoved { Id = userId, Type = (Rpc.Contracts.Users.RelationshipType)r.Type },
            new EventAudience.Users([r.UserId]))).ToArray();
    }
}
