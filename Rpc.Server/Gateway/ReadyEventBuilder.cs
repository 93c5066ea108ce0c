using Rpc.Contracts.Channels;
using Rpc.Contracts.Gateway;
using Rpc.Contracts.Guilds;
using Rpc.Contracts.Users;
using Rpc.Server.Data;
using Rpc.Server.Services;

namespace Rpc.Server.Gateway;

/// <summary>Builds the READY event of a new gateway session: the user (with its own presence), its guilds, its DM channels, its observed users' presences and its relationships.</summary>
public sealed class ReadyEventBuilder(UserRepository users, UsersService usersService, RelationshipsService relationships, PresenceService presence)
{
    public async Task<EventFrame> BuildAsync(GatewaySession session, CancellationToken cancellationToken)
    {
        var user = await users.FindByIdAsync(session.UserId, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException("an authenticated user has no row");
        return new EventFrame(GatewayEvents.Ready, new ReadyPayload
        {
            SessionId = session.Id,
            User = UserMapper.ToUser(user, presence.GetStatus(user.Id)),
            Guilds = await usersService.AllGuildsOfAsync(session.UserId, cancellationToken).ConfigureAwait(false),
            PrivateChannels = await usersService.AllChannelsOfAsync(session.UserId, cancellationToken).ConfigureAwait(false),
            Presences = await presence.VisiblePresencesAsync(session.UserId, cancellationToken).ConfigureAwait(false),
            Relationships = await relationships.ListOfAsync(session.UserId, cancellationToken).ConfigureAwait(false),
        });
    }
}
