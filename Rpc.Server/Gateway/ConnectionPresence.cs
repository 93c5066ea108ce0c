using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Rpc.Server.Gateway;

/// <summary>
/// Counts each user's attached gateway sessions, so that presence follows connections: the first
/// one brings the user online, and the last one closing takes it offline after a grace period
/// (a quick reconnect or resume shows no flicker).
/// </summary>
public sealed class ConnectionPresence(IOptions<GatewayOptions> options, TimeProvider clock)
{
    private readonly ConcurrentDictionary<long, int> counts = new();
    private readonly ConcurrentDictionary<long, ITimer> pendingOffline = new();

    /// <summary>Raised when a user with no attached session gets one.</summary>
    public event Action<long>? FirstConnected;

    /// <summary>Raised when a user's last session stayed detached for the whole grace period.</summary>
    public event Action<long>? LastDisconnected;

    public int ConnectionsOf(long userId) => counts.TryGetValue(userId, out var n) ? n : 0;

    public void Connected(long userId)
    {
        if (pendingOffline.TryRemove(userId, out var timer))
        {
            timer.Dispose();
        }

        if (counts.AddOrUpdate(userId, 1, (_, n) => n + 1) == 1)
        {
            FirstConnected?.Invoke(userId);
        }
    }

    public void Disconnected(long userId)
    {
        if (counts.AddOrUpdate(userId, 0, (_, n) => Math.Max(0, n - 1)) > 0)
        {
            return;
        }

        var timer = clock.CreateTimer(_ => GraceElapsed(userId), null, options.Value.PresenceGracePeriod, Timeout.InfiniteTimeSpan);
        if (pendingOffline.TryGetValue(userId, out var previous))
        {
            previous.Dispose();
        }

        pendingOffline[userId] = timer;
    }

    private void GraceElapsed(long userId)
    {
        if (pendingOffline.TryRemove(userId, out var timer))
        {
            timer.Dispose();
        }

        if (ConnectionsOf(userId) == 0)
        {
            counts.TryRemove(new KeyValuePair<long, int>(userId, 0));
            LastDisconnected?.Invoke(userId);
        }
    }
}
