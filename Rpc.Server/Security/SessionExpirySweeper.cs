using Microsoft.Extensions.Options;
using Rpc.Contracts.Gateway;
using Rpc.Server.Data;
using Rpc.Server.Events;
using Rpc.Server.Operations;

namespace Rpc.Server.Security;

/// <summary>
/// Purges expired sessions on a timer of the injected <see cref="TimeProvider"/> and closes the gateway
/// connections of those that were still live (4004). Authentication refuses an expired token whether
/// or not it was purged yet; the sweep keeps the table from growing with every login ever made.
/// </summary>
public sealed class SessionExpirySweeper(
    SessionRepository sessions,
    IEventBus bus,
    TimeProvider clock,
    IOptions<SessionLimitsOptions> options) : ISweep
{
    /// <summary>The close reason sent with <see cref="GatewayCloseCodes.SessionRevoked"/> when a session expires.</summary>
    public const string ExpiredReason = "session expired";

    public string Name => "Session expiry sweep";

    public TimeSpan Interval => TimeSpan.FromSeconds(options.Value.SweepIntervalSeconds);

    /// <summary>Deletes every session expired by now; returns how many were still live.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var now = clock.NowMilliseconds();
        var ended = await sessions.PurgeExpiredAsync(options.Value.CutoffsAt(now), cancellationToken).ConfigureAwait(false);
        foreach (var (userId, sessionId) in ended)
        {
            bus.Publish(new CloseConnections(userId, sessionId, GatewayCloseCodes.SessionRevoked, ExpiredReason));
        }

        return ended.Count;
    }
}
