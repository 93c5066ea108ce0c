using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Dapper;
using Npgsql;
using Rpc.Server.Data;

namespace Rpc.Server.Events;

/// <summary>
/// The bus when several servers share one PostgreSQL database. A message goes to this server's sinks at
/// once, as <see cref="InProcessEventBus"/> delivers it, and to the other servers through NOTIFY on
/// <see cref="ChannelName"/>; what they send arrives through LISTEN and goes to this server's sinks, so a
/// user's connections get its events and its logout closes them whichever server they are on. Messages
/// over NOTIFY's 8000-byte limit travel through the <c>bus_overflow</c> table. A server that loses its
/// listening connection reconnects and misses what was sent meanwhile, as a gateway client does across a
/// disconnect. The server starts only once it listens.
/// Connection closes (logout, revocation, deletion) take a path of their own: their own channel
/// <see cref="CloseChannelName"/>, their own unbounded queues and loops, so they never wait behind events
/// and are never dropped when events are; one that cannot be sent is tried again until it is.
/// </summary>
public sealed class PostgresEventBus(
    InProcessEventBus local,
    DbConnectionFactory connections,
    SnowflakeGenerator ids,
    TimeProvider clock,
    ILogger<PostgresEventBus> logger) : BackgroundService, IEventBus
{
    public const string ChannelName = "rpc_bus";
    public const string CloseChannelName = "rpc_bus_close";
    private const int MaxNotifyBytes = 7900;
    private const int MaxQueued = 100_000;
    private static readonly TimeSpan OverflowLifetime = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan ReconnectDelay = TimeSpan.FromSeconds(1);
    private readonly Guid node = Guid.NewGuid();
    private readonly TaskCompletionSource listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // Bounded both ways: a server that cannot keep up with the others drops their oldest messages (and says
    // so) rather than grow without limit, as a slow gateway client is dropped rather than waited for.
    private readonly Channel<string> incoming = Channel.CreateBounded<string>(
        new BoundedChannelOptions(MaxQueued) { SingleReader = true, FullMode = BoundedChannelFullMode.DropOldest },
        _ => logger.LogWarning("Bus: {Count} messages from other servers wait; the oldest is dropped", MaxQueued));
    private readonly Channel<BusMessage> outgoing = Channel.CreateBounded<BusMessage>(new BoundedChannelOptions(MaxQueued) { SingleReader = true });
    // Unbounded: closes are few (one per logout or revocation) and must not be lost.
    private readonly Channel<string> incomingCloses = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<CloseConnections> outgoingCloses = Channel.CreateUnbounded<CloseConnections>(new UnboundedChannelOptions { SingleReader = true });
    private long lastOverflowCleanup;
    private volatile bool isListening;

    /// <summary>Whether the LISTEN connection is up (readiness: <c>/readyz</c>'s <c>bus</c> check).</summary>
    public bool IsListening => isListening;

    public void Publish(BusMessage message)
    {
        local.Publish(message);
        if (message is CloseConnections close)
        {
            outgoingCloses.Writer.TryWrite(close);
        }
        else if (!outgoing.Writer.TryWrite(message))
        {
            logger.LogWarning("Bus: {Count} messages wait for the database; {Message} is not sent to the other servers", MaxQueued, message.GetType().Name);
        }
    }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
        await listening.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(ListenAsync(stoppingToken), ReceiveAsync(incoming, stoppingToken), ReceiveAsync(incomingCloses, stoppingToken), SendAsync(stoppingToken), SendClosesAsync(stoppingToken));

    private async Task ListenAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = (NpgsqlConnection)await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
                connection.Notification += (_, e) => (e.Channel == CloseChannelName ? incomingCloses : incoming).Writer.TryWrite(e.Payload);
                await connection.ExecuteAsync($"LISTEN {ChannelName}; LISTEN {CloseChannelName}").ConfigureAwait(false);
                listening.TrySetResult();
                isListening = true;
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

    private async Task ReceiveAsync(Channel<string> queue, CancellationToken cancellationToken)
    {
        await foreach (var text in queue.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                if (await ResolveAsync(text, cancellationToken).ConfigureAwait(false) is { } body)
                {
                    var (sender, message) = BusMessageCodec.Decode(body);
                    if (sender != node)
                    {
                        local.Publish(message);
                    }
                }
            }
            catch (Exception e) when (e is JsonException or NotSupportedException or FormatException or InvalidOperationException or KeyNotFoundException or NpgsqlException)
            {
                logger.LogError(e, "Bus: a message from another server could not be read");
            }
        }
    }

    /// <summary>The message text of a notification: itself, or the overflow row it names; null for this server's own.</summary>
    private async Task<string?> ResolveAsync(string text, CancellationToken cancellationToken)
    {
        using var document = JsonDocument.Parse(text);
        var root = document.RootElement;
        if (root.GetProperty("node").GetGuid() == node)
        {
            return null;
        }

        if (!root.TryGetProperty("overflow", out var reference))
        {
            return text;
        }

        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            "SELECT body FROM bus_overflow WHERE id = @id", new { id = reference.GetInt64() }, cancellationToken: cancellationToken)).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"overflow message {reference.GetInt64()} is gone");
    }

    private async Task SendAsync(CancellationToken cancellationToken)
    {
        while (await outgoing.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
                while (outgoing.Reader.TryRead(out var message))
                {
                    await NotifyAsync(connection, ChannelName, BusMessageCodec.Encode(message, node), cancellationToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or IOException)
            {
                logger.LogError(e, "Bus: messages could not be sent to the other servers");
                await Task.Delay(ReconnectDelay, clock, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Sends each close to the other servers, in order; one that fails is tried again (after a pause) before the next.</summary>
    private async Task SendClosesAsync(CancellationToken cancellationToken)
    {
        CloseConnections? unsent = null;
        while (unsent is not null || await outgoingCloses.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
                while (unsent is not null || outgoingCloses.Reader.TryRead(out unsent))
                {
                    await NotifyAsync(connection, CloseChannelName, BusMessageCodec.Encode(unsent, node), cancellationToken).ConfigureAwait(false);
                    unsent = null;
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or IOException)
            {
                logger.LogError(e, "Bus: a connection close could not be sent to the other servers; trying again");
                await Task.Delay(ReconnectDelay, clock, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task NotifyAsync(System.Data.Common.DbConnection connection, string channel, string text, CancellationToken cancellationToken)
    {
        if (Encoding.UTF8.GetByteCount(text) > MaxNotifyBytes)
        {
            var id = ids.Next();
            var now = clock.NowMilliseconds();
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO bus_overflow (id, body, created_at) VALUES (@id, @text, @now)", new { id, text, now }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (now - Interlocked.Read(ref lastOverflowCleanup) > OverflowLifetime.TotalMilliseconds)
            {
                Interlocked.Exchange(ref lastOverflowCleanup, now);
                await connection.ExecuteAsync(new CommandDefinition(
                    "DELETE FROM bus_overflow WHERE created_at < @before", new { before = now - (long)OverflowLifetime.TotalMilliseconds }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            }

            text = $$"""{"node":"{{node}}","overflow":{{id}}}""";
        }

        await connection.ExecuteAsync(new CommandDefinition(
            "SELECT pg_notify(@channel, @text)", new { channel, text }, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }
}
