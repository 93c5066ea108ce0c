using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Rpc.Server.Operations;
using Rpc.Server.Data;
using Rpc.Server.Gateway;
using Rpc.Server.Events;

namespace Rpc.Server;

/// <summary>Readiness: the database answers a query.</summary>
public sealed class DatabaseHealthCheck(DbConnectionFactory connections) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
            await connection.ExecuteScalarAsync<int>(new CommandDefinition("SELECT 1", cancellationToken: cancellationToken)).ConfigureAwait(false);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (e is System.Data.Common.DbException or TimeoutException or InvalidOperationException or IOException)
        {
            return HealthCheckResult.Unhealthy("the database does not answer: " + e.Message);
        }
    }
}

/// <summary>Readiness: every migration this build carries is applied (another server may be migrating a shared database).</summary>
public sealed class MigrationsHealthCheck(DbConnectionFactory connections) : IHealthCheck
{
    private static readonly long[] Expected = MigrationRunner.Embedded().Select(m => (long)m.Version).ToArray();

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
            var applied = (await connection.QueryAsync<long>(new CommandDefinition("SELECT version FROM schema_migrations", cancellationToken: cancellationToken)).ConfigureAwait(false)).ToHashSet();
            var missing = Expected.Where(v => !applied.Contains(v)).ToList();
            return missing.Count == 0
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy($"migrations not applied: {string.Join(", ", missing.Select(v => v.ToString("0000", System.Globalization.CultureInfo.InvariantCulture)))}");
        }
        catch (Exception e) when (e is System.Data.Common.DbException or TimeoutException or InvalidOperationException or IOException)
        {
            return HealthCheckResult.Unhealthy("cannot read schema_migrations: " + e.Message);
        }
    }
}

/// <summary>Readiness on PostgreSQL: the bus holds its LISTEN connection, so events from the other servers arrive.</summary>
public sealed class EventBusHealthCheck(PostgresEventBus bus) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(bus.IsListening ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("the event bus is not listening (reconnecting to PostgreSQL)"));
}

/// <summary>
/// The body of <c>/healthz</c> and <c>/readyz</c>: <c>{"status":"Healthy","version":"…","checks":{…}}</c>,
/// and on 503 <c>"failing":["database",…]</c> naming the checks that failed.
/// </summary>
public static class HealthResponse
{
    // The version's "+commit" stays readable ('+' is escaped by the default encoder).
    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        var body = new Dictionary<string, object>
        {
            ["status"] = report.Status.ToString(),
            ["version"] = ServerVersion.Informational,
            ["checks"] = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
        };
        var failing = report.Entries.Where(e => e.Value.Status == HealthStatus.Unhealthy).Select(e => e.Key).ToList();
        if (failing.Count > 0)
        {
            body["failing"] = failing;
        }

        return context.Response.WriteAsync(JsonSerializer.Serialize(body, Relaxed));
    }
}
