using Microsoft.Extensions.Options;

namespace Rpc.Server.Events;

/// <summary>
/// On SQLite, where one server serves the database and its bus is in-process: polls the outbox every
/// <c>Cluster:OutboxPollInterval</c> for what <c>./run.sh manage</c> wrote there (staff changes…) and hands it
/// to this server's sinks, so the command's events reach the running server's connections.
/// </summary>
public sealed class OutboxPoller(BusOutbox outbox, InProcessEventBus local, ClusterNode node, IOptions<ClusterOptions> options, ILogger<OutboxPoller> logger) : BackgroundService
{
    // The wall clock: a test's fake clock jumping a day must not fire a day of polls.
    private static readonly TimeProvider clock = TimeProvider.System;
    private readonly OutboxReader events = new(outbox, local, node.Id, BusStream.Events, logger);
    private readonly OutboxReader closes = new(outbox, local, node.Id, BusStream.Closes, logger);

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        events.Position = closes.Position = await outbox.LastPositionAsync(cancellationToken).ConfigureAwait(false);
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.OutboxPollInterval, clock);
        var sinceTrim = TimeSpan.Zero;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await closes.CatchUpAsync(stoppingToken).ConfigureAwait(false);
                    await events.CatchUpAsync(stoppingToken).ConfigureAwait(false);
                    sinceTrim += options.Value.OutboxPollInterval;
                    if (sinceTrim >= options.Value.OutboxRetention / 10)
                    {
                        sinceTrim = TimeSpan.Zero;
                        await outbox.TrimAsync(clock.GetUtcNow() - options.Value.OutboxRetention, stoppingToken).ConfigureAwait(false);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Never let the poller stop the server (a failed BackgroundService stops the host).
                    logger.LogWarning(e, "Bus: the outbox could not be read; trying again");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}

/// <summary>
/// The bus of a <c>./run.sh manage</c> command: it keeps what the command publishes and, when the command is
/// done, appends it to the outbox, where running servers read it (PostgreSQL: woken by NOTIFY; SQLite: polled).
/// </summary>
public sealed class OutboxEventBus(BusOutbox outbox, ClusterNode node) : IEventBus
{
    private readonly List<BusMessage> published = [];

    public void Publish(BusMessage message)
    {
        lock (published)
        {
            published.Add(message);
        }
    }

    /// <summary>Appends what was published to the outbox (closes and the rest on their streams); returns how many messages.</summary>
    public async Task<int> FlushAsync(CancellationToken cancellationToken)
    {
        List<BusMessage> messages;
        lock (published)
        {
            messages = [.. published];
            published.Clear();
        }

        await outbox.AppendAsync(BusStream.Closes, node.Id, messages.OfType<CloseConnections>().Select(m => BusMessageCodec.Encode(m, node.Id)).ToList(), cancellationToken).ConfigureAwait(false);
        await outbox.AppendAsync(BusStream.Events, node.Id, messages.Where(m => m is not CloseConnections).Select(m => BusMessageCodec.Encode(m, node.Id)).ToList(), cancellationToken).ConfigureAwait(false);
        return messages.Count;
    }
}
