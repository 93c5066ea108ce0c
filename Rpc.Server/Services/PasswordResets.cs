using System.Globalization;
using System.Security.Cryptography;
using Dapper;
using Rpc.Contracts.Admin;
using Rpc.Contracts.Gateway;
using Rpc.Contracts.Protocol;
using Rpc.Contracts.Users;
using Rpc.Server.Audit;
using Rpc.Server.Data;
using Rpc.Server.Errors;
using Rpc.Server.Events;
using Rpc.Server.Security;

namespace Rpc.Server.Services;

/// <summary>
/// Password reset codes: issued by staff or the shell for one account, 16 characters of a 32-letter
/// alphabet (80 bits, so guessing is hopeless without any limit), stored as SHA-256, single use, 24 hours.
/// Issuing a new code voids the older ones.
/// </summary>
public sealed class PasswordResets(DbConnectionFactory connections, AuditLog audit, TimeProvider clock)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(24);

    // No 0/O, 1/I/L: codes are read aloud and typed from screenshots.
    private const string Alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    private const int CodeLength = 16;

    public async Task<PasswordResetCode> IssueAsync(long userId, long? actorId, CancellationToken cancellationToken)
    {
        var code = RandomNumberGenerator.GetString(Alphabet, CodeLength);
        var now = clock.GetUtcNow();
        var expires = now + Lifetime;
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        var user = await UserAdministration.FindByIdAsync(connection, transaction, userId, cancellationToken).ConfigureAwait(false)
            ?? throw ServiceException.Refused(ErrorData.UserNotFound(userId));
        if (user.DeletedAt is not null)
        {
            throw ServiceException.Refused(ErrorData.UserDeleted(userId));
        }

        if (await connection.ExecuteScalarAsync<long?>(new CommandDefinition("SELECT owner_id FROM bots WHERE user_id = @userId", new { userId }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false) is not null)
        {
            throw ServiceException.Refused(ErrorData.BotHasNoPassword);
        }

        await AccountStateRepository.IssueResetCodeAsync(connection, transaction, userId, Hash(code), expires.ToUnixTimeMilliseconds(), now.ToUnixTimeMilliseconds(), actorId, cancellationToken).ConfigureAwait(false);
        await audit.RecordAsync(connection, transaction, actorId, "user.password_reset.issue", "user", userId.ToString(CultureInfo.InvariantCulture), null, new { expires_at = expires }, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new PasswordResetCode { Code = $"{code[..4]}-{code[4..8]}-{code[8..12]}-{code[12..]}", ExpiresAt = expires };
    }

    /// <summary>The stored form of a code as a user typed it (dashes, spaces and case ignored), or null when it cannot be a code.</summary>
    public static string? HashOfTyped(string typed)
    {
        var code = new string(typed.Where(c => c is not ('-' or ' ')).Select(char.ToUpperInvariant).ToArray());
        return code.Length == CodeLength && code.All(c => Alphabet.Contains(c, StringComparison.Ordinal)) ? Hash(code) : null;
    }

    private static string Hash(string code) => Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(code)));
}

/// <summary><c>users.resetPassword</c>: spends a code, sets the password, ends every session.</summary>
public sealed class AccountRecoveryService(
    DbConnectionFactory connections,
    PasswordHasher hasher,
    AuditLog audit,
    IEventBus events,
    ServiceCallAccessor call,
    TimeProvider clock) : IAccountRecoveryApi
{
    public async Task<bool> ResetPasswordAsync(string code, string password, CancellationToken cancellationToken = default)
    {
        if (code.Length > 64 || PasswordResets.HashOfTyped(code) is not { } codeHash)
        {
            throw ServiceException.Refused(ErrorData.ResetCodeInvalid);
        }

        AccountRules.ValidatePassword(password);
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        // Looked up before hashing, so a wrong code costs a SHA-256, not an Argon2 hash.
        if (await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
                "SELECT user_id FROM password_resets WHERE code_hash = @codeHash AND expires_at > @now",
                new { codeHash, now = clock.NowMilliseconds() }, cancellationToken: cancellationToken)).ConfigureAwait(false) is null)
        {
            throw ServiceException.Refused(ErrorData.ResetCodeInvalid);
        }

        var hashes = call.Current.Hashes;
        hashes.Take();
        var hash = await hasher.HashAsync(password, hashes.AddressKey, cancellationToken).ConfigureAwait(false);
        var now = clock.NowMilliseconds();
        await using var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        var userId = await AccountStateRepository.SpendResetCodeAsync(connection, transaction, codeHash, now, cancellationToken).ConfigureAwait(false)
            ?? throw ServiceException.Refused(ErrorData.ResetCodeInvalid);
        if (await UserRepository.UpdatePasswordHashAsync(connection, transaction, userId, hash, cancellationToken).ConfigureAwait(false) == 0)
        {
            throw ServiceException.Refused(ErrorData.ResetCodeInvalid);
        }

        var ended = await AccountStateRepository.RevokeAllAsync(connection, transaction, userId, now, cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM mfa_tickets WHERE user_id = @userId", new { userId }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await audit.RecordAsync(connection, transaction, userId, "user.password_reset", "user", userId.ToString(CultureInfo.InvariantCulture), null, null, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        foreach (var sessionId in ended)
        {
            events.Publish(CloseConnections.Revoked(userId, sessionId));
        }

        return true;
    }
}
