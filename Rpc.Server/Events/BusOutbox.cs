using System.Data.Common;
using System.Globalization;
using System.Text;
using Dapper;
using Npgsql;
using Rpc.Server.Data;

namespace Rpc.Server.Events;

/// <summary>The two streams of the outbox: closes are read apart so they never wait behind events.</summary>
public enum BusStream
{
    /// <summary>Events and every other message.</summary>
    Events = 0,

    /// <summary>Connection closes (<see cref="CloseConnections"/>).</summary>
    Closes = 1,
}

/// <summary>One message of the outbox (a class, not a positional record: SQLite types an expression column of an empty result as a blob).</summary>
public sealed class OutboxRow
{
    public long Position { get; init; }

    public string Node { get; init; } = string.Empty;

    public string Body { get; init; } = string.Empty;
}

/// <summary>
/// The durable, ordered bus between servers (table <c>bus_outbox</c>, migration 0017): messages appended with
/// increasing positions, read on from a position. An append takes a lock of its own (PostgreSQL: an advisory
/// transaction lock; SQLite: its one writer) and numbers its rows after the last committed one, so positions
/// commit in order and a reader that has seen position n has seen every earlier one. On PostgreSQL the
/// append also sends NOTIFY on <see cref="ChannelName"/> with the stream's number, delivered at commit: the
/// readers' wake-up, never the message itself. Rows are stamped with the wall clock (<see cref="TimeProvider.System"/>),
/// not the injected one: their age is about processes and retention, which a test's fake clock must not move.
/// </summary>
public sealed class BusOutbox(DbConnectionFactory connections)
{
    private static readonly TimeProvider clock = TimeProvider.System;

    public const string ChannelName = "rpc_bus";

    // Not the write lock of SqlDialect: appends must not wait behind the services' transactions.
    private const long AppendLockKey = 0x7270632d6f757462;
    private const int RowsPerStatement = 100;

    /// <summary>Appends <paramref name="bodies"/> (encoded by <see cref="BusMessageCodec"/>) to <paramref name="stream"/>, in order, in one transaction.</summary>
    public async Task AppendAsync(BusStream stream, Guid node, IReadOnlyList<string> bodies, CancellationToken cancellationToken)
    {
        if (bodies.Count == 0)
        {
            return;
        }

        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var postgres = connection is NpgsqlConnection;
        if (postgres)
        {
            await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_xact_lock(@AppendLockKey)", new { AppendLockKey }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        var next = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COALESCE(MAX(position), 0) FROM bus_outbox", transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false) + 1;
        var now = clock.NowMilliseconds();
        var nodeText = node.ToString();
        for (var start = 0; start < bodies.Count; start += RowsPerStatement)
        {
            var count = Math.Min(RowsPerStatement, bodies.Count - start);
            var sql = new StringBuilder("INSERT INTO bus_outbox (position, stream, node, body, created_at) VALUES ");
            var parameters = new DynamicParameters(new { stream = (int)stream, node = nodeText, now });
            for (var i = 0; i < count; i++)
            {
                var p = i.ToString(CultureInfo.InvariantCulture);
                sql.Append(i == 0 ? string.Empty : ", ").Append("(@p").Append(p).Append(", @stream, @node, @b").Append(p).Append(", @now)");
                parameters.Add("p" + p, next++);
                parameters.Add("b" + p, bodies[start + i]);
            }

            await connection.ExecuteAsync(new CommandDefinition(sql.ToString(), parameters, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        if (postgres)
        {
            var payload = ((int)stream).ToString(CultureInfo.InvariantCulture);
            await connection.ExecuteAsync(new CommandDefinition("SELECT pg_notify(@ChannelName, @payload)", new { ChannelName, payload }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The messages of <paramref name="stream"/> after <paramref name="after"/>, oldest first, at most <paramref name="limit"/>;
    /// those of <paramref name="self"/> come without their body (the reader already delivered them).
    /// </summary>
    public async Task<IReadOnlyList<OutboxRow>> ReadAsync(BusStream stream, long after, int limit, string self, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return (await connection.QueryAsync<OutboxRow>(new CommandDefinition(
            """
            SELECT position AS Position, node AS Node, CASE WHEN node = @self THEN '' ELSE body END AS Body
            FROM bus_outbox WHERE stream = @stream AND position > @after ORDER BY position LIMIT @limit
            """,
            new { stream = (int)stream, after, limit, self }, cancellationToken: cancellationToken)).ConfigureAwait(false)).AsList();
    }

    /// <summary>The last position written (0 when the outbox is empty): where a server that starts reads on from.</summary>
    public async Task<long> LastPositionAsync(CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COALESCE(MAX(position), 0) FROM bus_outbox", cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>
    /// The position just before the first message written since <paramref name="since"/> (the last position when there is none):
    /// a starting server replays the recent past from there, so it learns presence changes not yet in <c>presence_connections</c>.
    /// </summary>
    public async Task<long> PositionBeforeAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var first = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT MIN(position) FROM bus_outbox WHERE created_at >= @since", new { since = since.ToUnixTimeMilliseconds() }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return first is { } position ? position - 1 : await LastPositionAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes the messages older than <paramref name="before"/>, always keeping the last one: positions go on from it.</summary>
    public async Task<int> TrimAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM bus_outbox WHERE created_at < @before AND position < (SELECT MAX(position) FROM bus_outbox)",
            new { before = before.ToUnixTimeMilliseconds() }, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }
}

/// <summary>
/// Reads one stream of the outbox on from a position and hands other nodes' messages to this server's sinks,
/// each once and in order: the position moves past a message only once it was delivered (or found unreadable).
/// </summary>
public sealed class OutboxReader(BusOutbox outbox, InProcessEventBus local, Guid self, BusStream stream, ILogger logger)
{
    private const int BatchSize = 500;

    /// <summary>The last position delivered.</summary>
    public long Position { get; set; }

    /// <summary>
    /// Delivers everything after <see cref="Position"/> (only what <paramref name="filter"/> accepts, when given);
    /// returns how many messages of other nodes it delivered.
    /// </summary>
    public async Task<int> CatchUpAsync(CancellationToken cancellationToken, Func<BusMessage, bool>? filter = null)
    {
        var delivered = 0;
        var selfText = self.ToString();
        while (true)
        {
            var rows = await outbox.ReadAsync(stream, Position, BatchSize, selfText, cancellationToken).ConfigureAwait(false);
            foreach (var row in rows)
            {
                if (!string.Equals(row.Node, selfText, StringComparison.Ordinal))
                {
                    try
                    {
                        var message = BusMessageCodec.Decode(row.Body).Message;
                        if (filter is null || filter(message))
                        {
                            local.Publish(message);
                            delivered++;
                        }
                    }
                    catch (Exception e) when (e is System.Text.Json.JsonException or NotSupportedException or FormatException)
                    {
                        logger.LogError(e, "Bus: message {Position} from another server could not be read", row.Position);
                    }
                }

                Position = row.Position;
            }

            if (rows.Count < BatchSize)
            {
                return delivered;
            }
        }
    }
}
