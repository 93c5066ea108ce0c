namespace Rpc.Server.Transport;

/// <summary>
/// The keep-alive settings handed to the WebSocket so that the documented contract holds: a ping goes
/// out at most <c>Gateway:PingInterval</c> after the last frame received, and a connection whose pong
/// has not come back is dropped at most <c>Gateway:PingInterval</c> + <c>Gateway:IdleTimeout</c> after
/// that frame. .NET's WebSocket checks its keep-alive only on a heartbeat tick of
/// max(1 s, min(interval, timeout) / 4) (ManagedWebSocket.KeepAlive.cs), so a ping can leave one tick
/// late and a missing pong be noticed one tick late: with 20 s and 60 s as given, pings came at 25 s
/// and a dead socket went unnoticed for 85 s. Both values are shortened here by one tick.
/// </summary>
public readonly record struct HeartbeatTiming(TimeSpan Interval, TimeSpan Timeout)
{
    /// <summary>The shortest ping interval and idle timeout the contract can be kept for: two heartbeat ticks.</summary>
    public static readonly TimeSpan Minimum = TimeSpan.FromSeconds(2);

    public static HeartbeatTiming For(TimeSpan pingInterval, TimeSpan idleTimeout)
    {
        var tick = Tick(pingInterval, idleTimeout);
        return new HeartbeatTiming(pingInterval - tick, idleTimeout - tick);
    }

    /// <summary>The WebSocket's heartbeat tick for these settings.</summary>
    public static TimeSpan Tick(TimeSpan interval, TimeSpan timeout) =>
        TimeSpan.FromMilliseconds(Math.Max(1000, Math.Min(interval.TotalMilliseconds, timeout.TotalMilliseconds) / 4));
}
