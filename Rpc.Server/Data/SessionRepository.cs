using System.Data.Common;
using Dapper;

namespace Rpc.Server.Data;

/// <summary>A session joined with what authentication needs of its user.</summary>
public sealed record ActiveSession
{
    public long Id { get; init; }
    public long UserId { get; init; }
    public string TokenHash { get; init; } = "";
    public long LastUsedAt { get; init; }
    public long Flags { get; init; }
}

/// <summary>A row of <c>sessions</c>, as a new login creates it.</summary>
public sealed record NewSession
{
    public required long Id { get; init; }
    public required long UserId { get; init; }
    public required string TokenHash { get; init; }
    public required long CreatedAt { get; init; }
    public string? ClientAddress { get; init; }
    public string? UserAgent { get; init; }
}

/// <summary>A session as its user may see it: never the token or its hash.</summary>
public sealed record SessionRow
{
    public long Id { get; init; }
    public long CreatedAt { get; init; }
    public long LastUsedAt { get; init; }
    public string? ClientAddress { get; init; }
    public string? UserAgent { get; init; }
}

/// <summary>The <c>sessions</c> aggregate: one row per login, found by the SHA-256 of its token.</summary>
public sealed class SessionRepository(DbConnectionFactory connections)
{
    public async Task<ActiveSession?> FindActiveAsync(string tokenHash, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT s.id, s.user_id, s.token_hash, s.last_used_at, u.flags
            FROM sessions s JOIN users u ON u.id = s.user_id
            WHERE s.token_hash = @tokenHash AND s.revoked_at IS NULL AND u.deleted_at IS NULL
            """;
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await connection.QuerySingleOrDefaultAsync<ActiveSession>(
            new CommandDefinition(sql, new { tokenHash }, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    public async Task InsertAsync(NewSession session, CancellationToken cancellationToken)
    {
        const string sql = """
            INSERT INTO sessions (id, user_id, token_hash, created_at, last_used_at, client_address, user_agent)
            VALUES (@Id, @UserId, @TokenHash, @CreatedAt, @CreatedAt, @ClientAddress, @UserAgent)
            """;
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(sql, session, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    public async Task TouchAsync(long id, long now, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE sessions SET last_used_at = @now WHERE id = @id", new { id, now }, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Revokes one session; false when it was already revoked or does not exist.</summary>
    public async Task<bool> RevokeAsync(long id, long now, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE sessions SET revoked_at = @now WHERE id = @id AND revoked_at IS NULL", new { id, now }, cancellationToken: cancellationToken)).ConfigureAwait(false) > 0;
    }

    /// <summary>A user's active sessions in id order, after the cursor.</summary>
    public async Task<IReadOnlyList<SessionRow>> ListActiveAsync(long userId, long? after, int limit, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT id, created_at, last_used_at, client_address, user_agent FROM sessions
            WHERE user_id = @userId AND revoked_at IS NULL AND (@after IS NULL OR id > @after)
            ORDER BY id LIMIT @limit
            """;
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return (await connection.QueryAsync<SessionRow>(new CommandDefinition(sql, new { userId, after, limit }, cancellationToken: cancellationToken)).ConfigureAwait(false)).AsList();
    }

    /// <summary>Revokes a session of <paramref name="userId"/>; false when the user has no such active session.</summary>
    public async Task<bool> RevokeOwnAsync(long userId, long id, long now, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE sessions SET revoked_at = @now WHERE id = @id AND user_id = @userId AND revoked_at IS NULL",
            new { id, userId, now }, cancellationToken: cancellationToken)).ConfigureAwait(false) > 0;
    }

    /// <summary>Revokes every active session of a user but <paramref name="keepId"/>, in a caller's transaction; returns their ids.</summary>
    public static async Task<IReadOnlyList<long>> RevokeOthersAsync(DbConnection connection, DbTransaction transaction, long userId, long keepId, long now, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<long>(new CommandDefinition(
            "UPDATE sessions SET revoked_at = @now WHERE user_id = @userId AND id <> @keepId AND revoked_at IS NULL RETURNING id",
            new { userId, keepId, now }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false)).AsList();
}
