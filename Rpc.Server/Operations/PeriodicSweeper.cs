namespace Rpc.Server.Operations;

/// <summary>A clean-up that runs on a timer: expired sessions, expired roles.</summary>
public interface ISweep
{
    /// <summary>What the sweep does, for the log when one fails.</summary>
    string Name { get; }

    /// <summary>How long between two sweeps.</summary>
    TimeSpan Interval { get; }

    /// <summary>Runs the sweep once; returns how many items it removed.</summary>
    Task<int> SweepAsync(CancellationToken cancellationToken);
}

/// <summary>
/// Runs <typeparamref name="TSweep"/> on a timer of the injected <see cref="TimeProvider"/> (so tests
/// drive it with a fake clock). A failed sweep (a locked database, a full disk) is logged and tried
/// again at the next tick; only shutting down ends the loop.
/// </summary>
public sealed class PeriodicSweeper<TSweep>(TSweep sweep, TimeProvider clock, ILogger<PeriodicSweeper<TSweep>> logger) : BackgroundService
    where TSweep : ISweep
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(sweep.Interval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await sweep.SweepAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogError(e, "{Sweep} failed", sweep.Name);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
