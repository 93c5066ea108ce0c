using Rpc.Contracts.Gateway;
using Rpc.Contracts.Users;
using Rpc.Server.Data;
using Rpc.Server.Services;

namespace Rpc.Server.Gateway;

/// <summary>The READY payload: what a client needs to start, in one event.</summary>
public sealed record ReadyPayload
{
    public required string SessionId { get; init; }
    public required User User { get; init; }
}

/// <summary>Builds the READY event of a new gateway session.</summary>
public sealed class ReadyEventBuilder(UserRepository users)
{
    public async Task<EventFrame> BuildAsync(GatewaySession session, CancellationToken cancellationToken)
    {
        var user = await users.FindByIdAsync(session.UserId, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException("an authenticated user has no row");
        return new EventFrame(GatewayEvents.Ready, new ReadyPayload { SessionId = session.Id, User = UserMapper.ToUser(user) });
    }
}
