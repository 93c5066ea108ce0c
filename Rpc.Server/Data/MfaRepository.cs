using System.Data.Common;
using Dapper;

namespace Rpc.Server.Data;

/// <summary>A TOTP enrolment (<c>user_mfa</c>): pending while <see cref="EnabledAt"/> is null.</summary>
public sealed record MfaRow
{
    public long UserId { get; init; }
    public string Secret { get; init; } = "";
    public long? EnabledAt { get; init; }
    public long LastStep { get; init; }
}

/// <summary>A login waiting for its second factor (<c>mfa_tickets</c>).</summary>
public sealed record MfaTicketRow
{
    public long UserId { get; init; }
    public string PasswordHash { get; init; } = "";
    public long ExpiresAt { get; init; }
}

/// <summary>Two-factor login state: enrolments, backup codes and login tickets. Writes run in the caller's transaction.</summary>
public static class MfaRepository
{
    public static Task<MfaRow?> FindAsync(DbConnection connection, DbTransaction? transaction, long userId, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<MfaRow>(new CommandDefinition(
            "SELECT user_id, secret, enabled_at, last_step FROM user_mfa WHERE user_id = @userId", new { userId }, transaction, cancellationToken: cancellationToken));

    public static async Task<bool> IsEnabledAsync(DbConnection connection, long userId, CancellationToken cancellationToken) =>
        await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT user_id FROM user_mfa WHERE user_id = @userId AND enabled_at IS NOT NULL", new { userId }, cancellationToken: cancellationToken)).ConfigureAwait(false) is not null;

    /// <summary>Replaces a pending enrolment with a new secret; nothing when one is in force (the caller checked).</summary>
    public static async Task StartAsync(DbConnection connection, DbTransaction transaction, long userId, string secret, long now, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM user_mfa WHERE user_id = @userId AND enabled_at IS NULL", new { userId }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO user_mfa (user_id, secret, created_at, enabled_at, last_step) VALUES (@userId, @secret, @now, NULL, 0)",
            new { userId, secret, now }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Puts a pending enrolment in force with the code of time step <paramref name="step"/>; false when it is not pending or the step was used.</summary>
    public static async Task<bool> ConfirmAsync(DbConnection connection, DbTransaction transaction, long userId, long step, long now, IReadOnlyList<string> backupHashes, CancellationToken cancellationToken)
    {
        if (await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE user_mfa SET enabled_at = @now, last_step = @step WHERE user_id = @userId AND enabled_at IS NULL AND last_step < @step",
                new { userId, step, now }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false) == 0)
        {
            return false;
        }

        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM mfa_backup_codes WHERE user_id = @userId", new { userId }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        foreach (var codeHash in backupHashes)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO mfa_backup_codes (user_id, code_hash) VALUES (@userId, @codeHash)", new { userId, codeHash }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>Spends the code of time step <paramref name="step"/>: false when that step or a later one was already used.</summary>
    public static async Task<bool> SpendStepAsync(DbConnection connection, DbTransaction transaction, long userId, long step, CancellationToken cancellationToken) =>
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE user_mfa SET last_step = @step WHERE user_id = @userId AND enabled_at IS NOT NULL AND last_step < @step",
            new { userId, step }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false) > 0;

    /// <summary>Spends a backup code: false when it is not one of the user's unused codes.</summary>
    public static async Task<bool> SpendBackupCodeAsync(DbConnection connection, DbTransaction transaction, long userId, string codeHash, long now, CancellationToken cancellationToken) =>
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE mfa_backup_codes SET used_at = @now WHERE user_id = @userId AND code_hash = @codeHash AND used_at IS NULL",
            new { userId, codeHash, now }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false) > 0;

    /// <summary>Turns two-factor login off: the enrolment, its backup codes and its pending tickets go.</summary>
    public static async Task RemoveAsync(DbConnection connection, DbTransaction transaction, long userId, CancellationToken cancellationToken)
    {
        foreach (var table in new[] { "mfa_tickets", "mfa_backup_codes", "user_mfa" })
        {
            await connection.ExecuteAsync(new CommandDefinition(
                $"DELETE FROM {table} WHERE user_id = @userId", new { userId }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
    }

    /// <summary>Stores a login ticket (and drops expired ones, so the table stays small).</summary>
    public static async Task AddTicketAsync(DbConnection connection, string ticketHash, MfaTicketRow ticket, long now, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM mfa_tickets WHERE expires_at <= @now", new { now }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO mfa_tickets (ticket_hash, user_id, password_hash, expires_at) VALUES (@ticketHash, @UserId, @PasswordHash, @ExpiresAt)",
            new { ticketHash, ticket.UserId, ticket.PasswordHash, ticket.ExpiresAt }, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    public static Task<MfaTicketRow?> FindTicketAsync(DbConnection connection, string ticketHash, long now, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<MfaTicketRow>(new CommandDefinition(
            "SELECT user_id, password_hash, expires_at FROM mfa_tickets WHERE ticket_hash = @ticketHash AND expires_at > @now",
            new { ticketHash, now }, cancellationToken: cancellationToken));

    /// <summary>Spends a ticket; false when another call spent it first.</summary>
    public static async Task<bool> SpendTicketAsync(DbConnection connection, DbTransaction transaction, string ticketHash, long now, CancellationToken cancellationToken) =>
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM mfa_tickets WHERE ticket_hash = @ticketHash AND expires_at > @now", new { ticketHash, now }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false) > 0;
}
