using System.Net.WebSockets;

namespace Rpc.Server.Transport;

/// <summary>
/// The one place that decides when a WebSocket has been silent too long: the connection calls
/// <see cref="Touch"/> on every message it receives, and the watch closes it (1008, "idle timeout")
/// once nothing arrived for the idle timeout. Checks run on the injected clock, a quarter of the
/// timeout apart, so tests drive them with a fake clock. Heartbeats belong here too when they come.
/// </summary>
public sealed class ConnectionIdleWatch(TimeProvider clock, TimeSpan idleTimeout)
{
    private long lastActivity = clock.GetTimestamp();

    /// <summary>Records that the client sent something.</summary>
    public void Touch() => Volatile.Write(ref lastActivity, clock.GetTimestamp());

    /// <summary>Time since the client last sent something.</summary>
    public TimeSpan Silence => clock.GetElapsedTime(Volatile.Read(ref lastActivity));

    /// <summary>Runs until <paramref name="cancellationToken"/> ends or the connection is silent too long; then asks <paramref name="close"/> to close it.</summary>
    public async Task RunAsync(Func<WebSocketCloseStatus, string, Task> close, CancellationToken cancellationToken)
    {
        var period = TimeSpan.FromTicks(Math.Max(idleTimeout.Ticks / 4, TimeSpan.TicksPerMillisecond * 10));
        using var timer = new PeriodicTimer(period, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                if (Silence >= idleTimeout)
                {
                    await close(WebSocketCloseStatus.PolicyViolation, "idle timeout").ConfigureAwait(false);
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
