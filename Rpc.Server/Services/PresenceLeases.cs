using System.Data.Common;
using Dapper;
using Microsoft.Extensions.Options;
using Rpc.Server.Data;
using Rpc.Server.Events;

namespace Rpc.Server.Services;

/// <summary>
/// This server's part in the cluster's presence (PostgreSQL only): its lease in <c>cluster_nodes</c>, renewed
/// every third of <c>Cluster:LeaseSeconds</c>, and the users it holds in <c>presence_connections</c>, written at
/// each renewal in one batch (the bus carries each change at once; the table is for servers that start). At each
/// renewal it also drops the servers whose lease lapsed, so the users they held go offline unless held elsewhere,
/// and deletes their rows. A server whose own lease lapsed (the database was out of reach) claims its users again.
/// A server that starts reads the live servers' rows before its bus replays the last lease period's changes.
/// Leases are stamped with each server's wall clock (<see cref="TimeProvider.System"/>, not the injected one that tests
/// move: a lease is about a process being alive): servers of one cluster keep their clocks in step (NTP).
/// </summary>
public sealed class PresenceLeases(
    DbConnectionFactory connections,
    PresenceService presence,
    IEventBus bus,
    ClusterNode node,
    IOptions<ClusterOptions> options,
    ILogger<PresenceLeases> logger) : BackgroundService
{
    private static readonly TimeProvider clock = TimeProvider.System;
    private readonly TimeSpan lease = TimeSpan.FromSeconds(options.Value.LeaseSeconds);
    private readonly string self = node.Id.ToString();

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await using (var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false))
        {
            await RenewAsync(connection, cancellationToken).ConfigureAwait(false);
            var rows = await connection.QueryAsync<(string Node, long UserId, int? Chosen)>(new CommandDefinition(
                """
                SELECT p.node, p.user_id, p.chosen FROM presence_connections p JOIN cluster_nodes n ON n.node = p.node
                WHERE n.lease_until >= @now AND p.node <> @self
                """,
                new { now = clock.NowMilliseconds(), self }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            foreach (var (other, userId, chosen) in rows)
            {
                if (chosen is { } status)
                {
                    presence.Deliver(new PresenceChosen(userId, (Rpc.Contracts.Users.PresenceStatus)status));
                }

                presence.Deliver(new PresenceState(Guid.Parse(other), userId, 1, true));
            }
        }

        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(lease / 3, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await TickAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Never let the lease stop the server (a failed BackgroundService stops the host).
                    logger.LogWarning(e, "Cluster: the presence lease could not be renewed; trying again");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Leaves the cluster: the others drop this server's users at their next renewal instead of at the lease's end.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
            await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM presence_connections WHERE node = @self; DELETE FROM cluster_nodes WHERE node = @self", new { self }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is DbException or InvalidOperationException or IOException or TimeoutException or OperationCanceledException)
        {
            logger.LogWarning(e, "Cluster: the presence lease could not be given up; it lapses by itself");
        }
    }

    private async Task TickAsync(CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var lapsed = await RenewAsync(connection, cancellationToken).ConfigureAwait(false);
        if (lapsed)
        {
            logger.LogWarning("Cluster: this server's presence lease had lapsed; claiming its users again");
            presence.ClaimAgain();
        }

        await WriteAsync(connection, presence.TakeUnwritten(all: lapsed), cancellationToken).ConfigureAwait(false);

        var now = clock.NowMilliseconds();
        var live = (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT node FROM cluster_nodes WHERE lease_until >= @now", new { now }, cancellationToken: cancellationToken)).ConfigureAwait(false))
            .Select(Guid.Parse).ToHashSet();
        foreach (var gone in presence.RemoteNodes().Where(n => !live.Contains(n)))
        {
            Drop(gone);
        }

        await connection.ExecuteAsync(new CommandDefinition(
            """
            DELETE FROM presence_connections WHERE node NOT IN (SELECT node FROM cluster_nodes WHERE lease_until >= @now);
            DELETE FROM cluster_nodes WHERE lease_until < @now
            """,
            new { now }, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>
    /// Drops <paramref name="gone"/>, whose lease lapsed when this server last looked, on every server: through the bus,
    /// so that a server that renewed its lease meanwhile and already sent its claims again (which this server may
    /// have applied before this drop) reads the drop and claims its users once more, after it.
    /// </summary>
    internal void Drop(Guid gone)
    {
        logger.LogWarning("Cluster: server {Node}'s presence lease lapsed; its users count only where else they are", gone);
        bus.Publish(new NodeDropped(gone));
    }

    /// <summary>Extends this server's lease; true when it had lapsed (or was never taken), so the others dropped its users.</summary>
    private async Task<bool> RenewAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var now = clock.NowMilliseconds();
        var until = now + (long)lease.TotalMilliseconds;
        var renewed = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE cluster_nodes SET lease_until = @until WHERE node = @self AND lease_until >= @now", new { until, self, now }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (renewed == 1)
        {
            return false;
        }

        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO cluster_nodes (node, lease_until) VALUES (@self, @until) ON CONFLICT (node) DO UPDATE SET lease_until = excluded.lease_until",
            new { until, self }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return true;
    }

    private async Task WriteAsync(DbConnection connection, IReadOnlyList<PresenceClaim> claims, CancellationToken cancellationToken)
    {
        if (claims.Count == 0)
        {
            return;
        }

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var gone = claims.Where(c => !c.Present).Select(c => c.UserId).ToArray();
        if (gone.Length > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                $"DELETE FROM presence_connections WHERE node = @self AND {SqlDialect.InList(connection, "user_id", "gone")}", new { self, gone }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        // One statement for all of them (arrays unnested), not one per user: after 3,000 users connected to a server
        // its next renewal made 3,000 round trips.
        var held = claims.Where(c => c.Present).ToArray();
        if (held.Length > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO presence_connections (node, user_id, connections, chosen)
                SELECT @self, t.user_id, t.connections, t.chosen FROM unnest(@users, @counts, @chosen) AS t(user_id, connections, chosen)
                ON CONFLICT (node, user_id) DO UPDATE SET connections = excluded.connections, chosen = excluded.chosen
                """,
                new
                {
                    self,
                    users = held.Select(c => c.UserId).ToArray(),
                    counts = held.Select(c => c.Connections).ToArray(),
                    chosen = held.Select(c => (int?)c.Chosen).ToArray(),
                },
                transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }
}
