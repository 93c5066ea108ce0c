using System.Data.Common;
using System.Text.Json;
using Dapper;
using Rpc.Contracts.Protocol;
using Rpc.Server.Data;

namespace Rpc.Server.Audit;

/// <summary>A row of <c>audit_log</c>.</summary>
public sealed record AuditRow
{
    public long Id { get; init; }
    public long? ActorId { get; init; }
    public string Action { get; init; } = "";
    public string TargetType { get; init; } = "";
    public string TargetId { get; init; } = "";
    public string? BeforeJson { get; init; }
    public string? AfterJson { get; init; }
    public long CreatedAt { get; init; }
}

/// <summary>
/// Writes audit records. Pass the transaction of the change being audited so the record commits
/// with it or not at all; <paramref name="actorId"/> is null for the system (the expiry sweeper, the CLI).
/// </summary>
public sealed class AuditLog(DbConnectionFactory connections, SnowflakeGenerator ids, TimeProvider clock)
{
    public Task RecordAsync(DbConnection connection, DbTransaction? transaction, long? actorId, string action, string targetType, string targetId, object? before, object? after, CancellationToken cancellationToken)
    {
        const string sql = """
            INSERT INTO audit_log (id, actor_id, action, target_type, target_id, before_json, after_json, created_at)
            VALUES (@Id, @ActorId, @Action, @TargetType, @TargetId, @BeforeJson, @AfterJson, @CreatedAt)
            """;
        var row = new AuditRow
        {
            Id = ids.Next(),
            ActorId = actorId,
            Action = action,
            TargetType = targetType,
            TargetId = targetId,
            BeforeJson = before is null ? null : JsonSerializer.Serialize(before, RpcJson.Options),
            AfterJson = after is null ? null : JsonSerializer.Serialize(after, RpcJson.Options),
            CreatedAt = clock.NowMilliseconds(),
        };
        return connection.ExecuteAsync(new CommandDefinition(sql, row, transaction, cancellationToken: cancellationToken));
    }

    /// <summary>Records outside any other transaction.</summary>
    public async Task RecordAsync(long? actorId, string action, string targetType, string targetId, object? before, object? after, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await RecordAsync(connection, null, actorId, action, targetType, targetId, before, after, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Records newest first, after the cursor <paramref name="before"/> (an audit id) when given.</summary>
    public async Task<IReadOnlyList<AuditRow>> ListAsync(long? before, int limit, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT id, actor_id, action, target_type, target_id, before_json, after_json, created_at
            FROM audit_log WHERE (@before IS NULL OR id < @before) ORDER BY id DESC LIMIT @limit
            """;
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return (await connection.QueryAsync<AuditRow>(new CommandDefinition(sql, new { before, limit }, cancellationToken: cancellationToken)).ConfigureAwait(false)).AsList();
    }
}
