using System.Threading.Channels;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using Rpc.Server.Data;

namespace Rpc.Server.Events;

/// <summary>
/// The bus when several servers share one PostgreSQL database. A message goes to this server's sinks at
/// once, as <see cref="InProcessEventBus"/> delivers it, and is appended, in batches, to the durable ordered
/// outbox (<see cref="BusOutbox"/>); every server reads the outbox on from the last position it delivered
/// and hands the other servers' messages to its sinks, so each reaches every server once and in order. NOTIFY
/// on <see cref="BusOutbox.ChannelName"/> wakes the readers; a poll every <c>Cluster:OutboxPollInterval</c>
/// and a read at every (re)connection of the LISTEN connection cover what a lost notification would miss, so
/// a server whose listening connection was down delivers everything sent meanwhile. The server starts only
/// once it listens. Old messages are trimmed after <c>Cluster:OutboxRetention</c>.
/// Connection closes (logout, revocation, deletion) take a stream of their own with their own queues and
/// loops, so they never wait behind events and are never dropped when events are; one that cannot be
/// written is tried again until it is.
/// </summary>
public sealed class PostgresEventBus(
    InProcessEventBus local,
    BusOutbox outbox,
    DbConnectionFactory connections,
    ClusterNode node,
    IOptions<ClusterOptions> options,
    ILogger<PostgresEventBus> logger) : BackgroundService, IEventBus
{
    // Polls, retries and retention run on the wall clock: a test's fake clock jumping a day must not fire a day of polls.
    private static readonly TimeProvider clock = TimeProvider.System;
    private const int MaxQueued = 100_000;
    private const int MaxBatch = 1000;
    private static readonly TimeSpan ReconnectDelay = TimeSpan.FromSeconds(1);
    private readonly TaskCompletionSource listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // Bounded: a server that cannot write as fast as it publishes drops messages (and says so) rather than grow
    // without limit, as a slow gateway client is dropped rather than waited for.
    private readonly Channel<BusMessage> outgoing = Channel.CreateBounded<BusMessage>(new BoundedChannelOptions(MaxQueued) { SingleReader = true });
    // Unbounded: closes are few (one per logout or revocation) and must not be lost.
    private readonly Channel<BusMessage> outgoingCloses = Channel.CreateUnbounded<BusMessage>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<bool> eventsWake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Channel<bool> closesWake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly OutboxReader events = new(outbox, local, node.Id, BusStream.Events, logger);
    private readonly OutboxReader closes = new(outbox, local, node.Id, BusStream.Closes, logger);
    private volatile bool isListening;

    /// <summary>Whether the LISTEN connection is up (readiness: <c>/readyz</c>'s <c>bus</c> check).</summary>
    public bool IsListening => isListening;

    public void Publish(BusMessage message)
    {
        local.Publish(message);
        if (message is CloseConnections)
        {
            outgoingCloses.Writer.TryWrite(message);
        }
        else if (!outgoing.Writer.TryWrite(message))
        {
            logger.LogWarning("Bus: {Count} messages wait for the database; {Message} is not sent to the other servers", MaxQueued, message.GetType().Name);
        }
    }

    /// <summary>
    /// Reads on from now, after replaying the presence changes of the last lease period (other servers write
    /// theirs to <c>presence_connections</c> only at each lease renewal), then starts the loops and waits until
    /// the server listens.
    /// </summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var start = await outbox.PositionBeforeAsync(clock.GetUtcNow() - TimeSpan.FromSeconds(options.Value.LeaseSeconds), cancellationToken).ConfigureAwait(false);
        events.Position = start;
        closes.Position = start;
        await events.CatchUpAsync(cancellationToken, m => m is PresenceState or NodeDropped).ConfigureAwait(false);
        closes.Position = Math.Max(closes.Position, events.Position);
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
        await listening.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(
            ListenAsync(stoppingToken),
            ReadAsync(events, eventsWake, stoppingToken),
            ReadAsync(closes, closesWake, stoppingToken),
            SendAsync(outgoing, BusStream.Events, stoppingToken),
            SendAsync(outgoingCloses, BusStream.Closes, stoppingToken),
            TrimAsync(stoppingToken));

    private async Task ListenAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = (NpgsqlConnection)await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
                connection.Notification += (_, e) => (e.Payload == "1" ? closesWake : eventsWake).Writer.TryWrite(true);
                await connection.ExecuteAsync($"LISTEN {BusOutbox.ChannelName}").ConfigureAwait(false);
                isListening = true;
                listening.TrySetResult();
                // Whatever was appended while nobody listened is read now.
                eventsWake.Writer.TryWrite(true);
                closesWake.Writer.TryWrite(true);
                while (true)
                {
                    await connection.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or IOException)
            {
                isListening = false;
                logger.LogWarning(e, "Bus: the listening connection failed; reconnecting");
                await Task.Delay(ReconnectDelay, clock, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Reads the stream on each wake-up and at every poll interval.</summary>
    private async Task ReadAsync(OutboxReader reader, Channel<bool> wake, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await reader.CatchUpAsync(cancellationToken).ConfigureAwait(false);
                using var poll = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                poll.CancelAfter(options.Value.OutboxPollInterval);
                try
                {
                    await wake.Reader.ReadAsync(poll.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Never let the bus stop the server (a failed BackgroundService stops the host).
                logger.LogWarning(e, "Bus: the outbox could not be read; trying again");
                await Task.Delay(ReconnectDelay, clock, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Appends the queued messages in batches, in order; a batch that fails is tried again (after a pause) before the next.</summary>
    private async Task SendAsync(Channel<BusMessage> queue, BusStream stream, CancellationToken cancellationToken)
    {
        var batch = new List<string>();
        while (batch.Count > 0 || await queue.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (batch.Count < MaxBatch && queue.Reader.TryRead(out var message))
            {
                batch.Add(BusMessageCodec.Encode(message, node.Id));
            }

            try
            {
                await outbox.AppendAsync(stream, node.Id, batch, cancellationToken).ConfigureAwait(false);
                batch.Clear();
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Bus: {Count} messages could not be written to the outbox; trying again", batch.Count);
                await Task.Delay(ReconnectDelay, clock, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task TrimAsync(CancellationToken cancellationToken)
    {
        var retention = options.Value.OutboxRetention;
        using var timer = new PeriodicTimer(TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(5).Ticks, retention.Ticks / 10)), clock);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    await outbox.TrimAsync(clock.GetUtcNow() - retention, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogWarning(e, "Bus: old outbox messages could not be trimmed");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
