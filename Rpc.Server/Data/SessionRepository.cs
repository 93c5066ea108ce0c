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
    public long CreatedAt { get; init; }
    public bool NeverExpires { get; init; }
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
    public bool NeverExpires { get; init; }
}

/// <summary>A session as its user may see it: never the token or its hash.</summary>
public sealed record SessionRow
{
    public long Id { get; init; }
    public long CreatedAt { get; init; }
    public long LastUsedAt { get; init; }
    public string? ClientAddress { get; init; }
    public string? UserAgent { get; init; }
    public bool NeverExpires { get; init; }
}

/// <summary>The <c>sessions</c> aggregate: one row per login, found by the SHA-256 of its token.</summary>
public sealed class SessionRepository(DbConnectionFactory connections)
{
    /// <summary>A session <c>s</c> not expired at the cut-offs <c>@IdleCutoff</c>, <c>@AbsoluteCutoff</c>; a bot's token never expires.</summary>
    public const string Unexpired = "(s.never_expires OR (s.last_used_at > @IdleCutoff AND s.created_at > @AbsoluteCutoff))";

    /// <summary>The live (not revoked, not expired) session with this token hash, of a live user.</summary>
    public async Task<ActiveSession?> FindActiveAsync(string tokenHash, SessionCutoffs cutoffs, CancellationToken cancellationToken)
    {
        const string sql = $"""
            SELECT s.id, s.user_id, s.token_hash, s.last_used_at, s.created_at, s.never_expires, u.flags
            FROM sessions s JOIN users u ON u.id = s.user_id
            WHERE s.token_hash = @tokenHash AND s.revoked_at IS NULL AND u.deleted_at IS NULL AND {Unexpired}
            """;
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await connection.QuerySingleOrDefaultAsync<ActiveSession>(
            new CommandDefinition(sql, new { tokenHash, cutoffs.IdleCutoff, cutoffs.AbsoluteCutoff }, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>
    /// Inserts a login's session only if <paramref name="verifiedHash"/>, the password hash the login
    /// checked, is still the user's; writes <paramref name="rehash"/> in its place when given; and
    /// revokes the user's oldest live sessions beyond <paramref name="maxLive"/>. Returns the ids of the
    /// sessions revoked, or null (nothing written) when the password changed since it was read or the
    /// account is disabled.
    /// </summary>
    public async Task<IReadOnlyList<long>?> InsertForCredentialAsync(NewSession session, string verifiedHash, string? rehash, int maxLive, SessionCutoffs cutoffs, CancellationToken cancellationToken)
    {
        // The user row is written first, whether or not the hash changes: that takes its row lock, so a
        // password change committed meanwhile makes the WHERE match nothing (PostgreSQL re-reads the row
        // after the lock), and one that comes later waits for this commit and then revokes this session.
        // SQLite's BEGIN IMMEDIATE serializes the two transactions outright.
        // A disable committed meanwhile also makes it match nothing: no login outlives a disable.
        const string claim = $"""
            UPDATE users SET password_hash = @newHash
            WHERE id = @userId AND password_hash = @verifiedHash AND deleted_at IS NULL
              AND NOT EXISTS (SELECT 1 FROM user_suspensions WHERE user_id = @userId AND {AccountStateRepository.InForce})
            """;
        const string insert = """
            INSERT INTO sessions (id, user_id, token_hash, created_at, last_used_at, client_address, user_agent, never_expires)
            VALUES (@Id, @UserId, @TokenHash, @CreatedAt, @CreatedAt, @ClientAddress, @UserAgent, @NeverExpires)
            """;
        const string trim = $"""
            UPDATE sessions SET revoked_at = @now
            WHERE user_id = @userId AND revoked_at IS NULL AND id NOT IN (
                SELECT s.id FROM sessions s
                WHERE s.user_id = @userId AND s.revoked_at IS NULL AND {Unexpired}
                ORDER BY s.id DESC LIMIT @maxLive)
            RETURNING id
            """;
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        var userId = session.UserId;
        if (await connection.ExecuteAsync(new CommandDefinition(claim, new { userId, verifiedHash, newHash = rehash ?? verifiedHash, now = session.CreatedAt }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false) == 0)
        {
            return null;
        }

        await connection.ExecuteAsync(new CommandDefinition(insert, session, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        var revoked = (await connection.QueryAsync<long>(new CommandDefinition(
            trim, new { userId, now = session.CreatedAt, maxLive, cutoffs.IdleCutoff, cutoffs.AbsoluteCutoff }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false)).AsList();
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return revoked;
    }

    /// <summary>Inserts a session in the caller's transaction (a bot's token, beside the bot it belongs to).</summary>
    public static Task InsertAsync(DbConnection connection, DbTransaction transaction, NewSession session, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO sessions (id, user_id, token_hash, created_at, last_used_at, client_address, user_agent, never_expires)
            VALUES (@Id, @UserId, @TokenHash, @CreatedAt, @CreatedAt, @ClientAddress, @UserAgent, @NeverExpires)
            """, session, transaction, cancellationToken: cancellationToken));

    /// <summary>Deletes every session expired at the cut-offs; returns the (user, session) of those that were still live.</summary>
    public async Task<IReadOnlyList<(long UserId, long SessionId)>> PurgeExpiredAsync(SessionCutoffs cutoffs, CancellationToken cancellationToken)
    {
        const string sql = """
            DELETE FROM sessions WHERE NOT never_expires AND (last_used_at <= @IdleCutoff OR created_at <= @AbsoluteCutoff)
            RETURNING user_id, id, revoked_at
            """;
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<(long UserId, long Id, long? RevokedAt)>(new CommandDefinition(sql, cutoffs, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Where(r => r.RevokedAt is null).Select(r => (r.UserId, r.Id)).ToArray();
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

    /// <summary>A user's live sessions in id order, after the cursor.</summary>
    public async Task<IReadOnlyList<SessionRow>> ListActiveAsync(long userId, long? after, int limit, SessionCutoffs cutoffs, CancellationToken cancellationToken)
    {
        const string sql = $"""
            SELECT s.id, s.created_at, s.last_used_at, s.client_address, s.user_agent, s.never_expires FROM sessions s
            WHERE s.user_id = @userId AND s.revoked_at IS NULL AND {Unexpired}
              AND (@after IS NULL OR s.id > @after)
            ORDER BY s.id LIMIT @limit
            """;
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return (await connection.QueryAsync<SessionRow>(new CommandDefinition(
            sql, new { userId, after, limit, cutoffs.IdleCutoff, cutoffs.AbsoluteCutoff }, cancellationToken: cancellationToken)).ConfigureAwait(false)).AsList();
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
