using System.Data.Common;
using Dapper;

namespace Rpc.Server.Data;

/// <summary>A disable in force (<c>user_suspensions</c>).</summary>
public sealed record SuspensionRow
{
    public long UserId { get; init; }
    public string Reason { get; init; } = "";
    public long? EndsAt { get; init; }
    public long CreatedAt { get; init; }
    public long? ActorId { get; init; }
}

/// <summary>
/// Disables, password reset codes and live-session counts: the account state staff act on. Every write
/// runs in the caller's write transaction, beside the audit record and the sessions it ends.
/// </summary>
public static class AccountStateRepository
{
    /// <summary>A disable is in force while it has no end or its end is still ahead.</summary>
    public const string InForce = "(ends_at IS NULL OR ends_at > @now)";

    public static Task<SuspensionRow?> FindSuspensionAsync(DbConnection connection, DbTransaction? transaction, long userId, long now, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<SuspensionRow>(new CommandDefinition(
            $"SELECT user_id, reason, ends_at, created_at, actor_id FROM user_suspensions WHERE user_id = @userId AND {InForce}",
            new { userId, now }, transaction, cancellationToken: cancellationToken));

    /// <summary>Records a disable, replacing an earlier one (in force or lapsed).</summary>
    public static async Task SuspendAsync(DbConnection connection, DbTransaction transaction, SuspensionRow row, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM user_suspensions WHERE user_id = @UserId", row, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO user_suspensions (user_id, reason, ends_at, created_at, actor_id) VALUES (@UserId, @Reason, @EndsAt, @CreatedAt, @ActorId)",
            row, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Lifts the disable in force; false when there was none.</summary>
    public static async Task<bool> LiftAsync(DbConnection connection, DbTransaction transaction, long userId, long now, CancellationToken cancellationToken) =>
        await connection.ExecuteAsync(new CommandDefinition(
            $"DELETE FROM user_suspensions WHERE user_id = @userId AND {InForce}", new { userId, now }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false) > 0;

    /// <summary>Replaces the user's reset codes with one new code (stored hashed).</summary>
    public static async Task IssueResetCodeAsync(DbConnection connection, DbTransaction transaction, long userId, string codeHash, long expiresAt, long now, long? actorId, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM password_resets WHERE user_id = @userId OR expires_at <= @now", new { userId, now }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO password_resets (code_hash, user_id, expires_at, created_at, actor_id) VALUES (@codeHash, @userId, @expiresAt, @now, @actorId)",
            new { codeHash, userId, expiresAt, now, actorId }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Spends a reset code: its user, or null when no live code has this hash. Of two racing spends one gets the row.</summary>
    public static Task<long?> SpendResetCodeAsync(DbConnection connection, DbTransaction transaction, string codeHash, long now, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<long?>(new CommandDefinition(
            "DELETE FROM password_resets WHERE code_hash = @codeHash AND expires_at > @now RETURNING user_id",
            new { codeHash, now }, transaction, cancellationToken: cancellationToken));

    /// <summary>The user's live sessions at the cut-offs.</summary>
    public static Task<int> CountLiveSessionsAsync(DbConnection connection, long userId, SessionCutoffs cutoffs, CancellationToken cancellationToken, DbTransaction? transaction = null) =>
        connection.ExecuteScalarAsync<int>(new CommandDefinition(
            $"SELECT COUNT(*) FROM sessions s WHERE s.user_id = @userId AND s.revoked_at IS NULL AND {SessionRepository.Unexpired}",
            new { userId, cutoffs.IdleCutoff, cutoffs.AbsoluteCutoff }, transaction, cancellationToken: cancellationToken));

    /// <summary>Revokes every live session of a user in the caller's transaction; returns their ids.</summary>
    public static async Task<IReadOnlyList<long>> RevokeAllAsync(DbConnection connection, DbTransaction transaction, long userId, long now, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<long>(new CommandDefinition(
            "UPDATE sessions SET revoked_at = @now WHERE user_id = @userId AND revoked_at IS NULL RETURNING id",
            new { userId, now }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false)).AsList();
}
