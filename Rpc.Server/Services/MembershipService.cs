using Microsoft.Extensions.Options;
using Rpc.Contracts.Guilds;
using Rpc.Contracts.Protocol;
using Rpc.Server.Data;
using Rpc.Server.Errors;
using Rpc.Server.Events;
using Rpc.Server.Security;
using Rpc.Contracts.Users;
using Rpc.Contracts.Gateway;

namespace Rpc.Server.Services;

/// <summary>The caller's guilds: <c>users.guilds</c>, <c>users.communities</c>, <c>users.leaveGuild</c>.</summary>
public sealed class MembershipService(
    UserRepository users,
    GuildRepository guilds,
    ServiceCallAccessor call,
    IEventBus bus) : IMembershipsApi
{
    public async Task<IReadOnlyList<Guild>> GuildsAsync(int? limit = null, long? after = null, CancellationToken cancellationToken = default)
    {
        var userId = call.Current.RequireCaller().UserId;
        var rows = await guilds.ListForMemberAsync(userId, after, Paging.Limit(limit), cancellationToken).ConfigureAwait(false);
        return rows.Select(GuildMapper.ToGuild).ToArray();
    }

    public Task<IReadOnlyList<Guild>> CommunitiesAsync(int? limit = null, long? after = null, CancellationToken cancellationToken = default) =>
        GuildsAsync(limit, after, cancellationToken);

    public async Task<bool> LeaveGuildAsync(long guildId, CancellationToken cancellationToken = default)
    {
        var userId = call.Current.RequireCaller().UserId;
        switch (await guilds.LeaveAsync(guildId, userId, cancellationToken).ConfigureAwait(false))
        {
            case LeaveOutcome.NotMember:
                throw ServiceException.Refused(ErrorData.UnknownGuild);
            case LeaveOutcome.Owner:
                throw ServiceException.Refused(ErrorData.OwnerCannotLeave);
        }

        bus.Publish(new DispatchEvent(GatewayEvents.GuildDelete, new GuildDeleted { Id = guildId }, new EventAudience.Users([userId])));
        if (await users.FindByIdAsync(userId, cancellationToken).ConfigureAwait(false) is { } user)
        {
            bus.Publish(new DispatchEvent(GatewayEvents.GuildMemberRemove, new GuildMemberEvent { GuildId = guildId, User = UserMapper.ToUser(user) }, new EventAudience.GuildMembers(guildId)));
        }

        return true;
    }
}
