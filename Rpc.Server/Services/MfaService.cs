using Microsoft.Extensions.Options;
using Rpc.Contracts.Protocol;
using Rpc.Contracts.Users;
using Rpc.Server.Audit;
using Rpc.Server.Data;
using Rpc.Server.Errors;
using Rpc.Server.Events;
using Rpc.Server.Security;

namespace Rpc.Server.Services;

/// <summary>
/// <c>users.mfa.*</c> and <c>users.auth.mfa</c>. A TOTP code is spent by raising the enrolment's
/// last used time step inside a write transaction, so a code (or an older one) is never accepted
/// twice, even by racing calls; a backup code is spent by marking its row. Wrong codes count against
/// the account's login limits, like wrong passwords.
/// </summary>
public sealed class MfaService(
    DbConnectionFactory connections,
    UserRepository users,
    LoginSessions logins,
    LoginRateLimiter rateLimiter,
    AuditLog audit,
    ServiceCallAccessor call,
    IOptions<MfaOptions> options,
    TimeProvider clock,
    IEventBus bus) : IMfaApi
{
    private const int BackupCodeCount = 10;

    public async Task<MfaEnrolment> EnableAsync(CancellationToken cancellationToken = default)
    {
        var caller = call.Current.RequireCaller();
        var user = await users.FindLiveAsync(caller.UserId, cancellationToken).ConfigureAwait(false)
            ?? throw ServiceException.Refused(ErrorData.InvalidToken);
        var secret = TotpCodes.NewSecret();
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        if (await MfaRepository.FindAsync(connection, transaction, caller.UserId, cancellationToken).ConfigureAwait(false) is { EnabledAt: not null })
        {
            throw ServiceException.Refused(ErrorData.MfaAlreadyOn);
        }

        await MfaRepository.StartAsync(connection, transaction, caller.UserId, secret, clock.NowMilliseconds(), cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new MfaEnrolment { Secret = secret, OtpauthUri = TotpCodes.Uri(options.Value.MfaIssuer, $"{user.Username}#{user.Discriminator}", secret) };
    }

    public async Task<MfaBackupCodes> ConfirmAsync(string code, CancellationToken cancellationToken = default)
    {
        var caller = call.Current.RequireCaller();
        var backupCodes = Enumerable.Range(0, BackupCodeCount).Select(_ => TotpCodes.NewBackupCode()).ToArray();
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        var enrolment = await MfaRepository.FindAsync(connection, transaction, caller.UserId, cancellationToken).ConfigureAwait(false);
        if (enrolment is { EnabledAt: not null })
        {
            throw ServiceException.Refused(ErrorData.MfaAlreadyOn);
        }

        if (enrolment is null)
        {
            throw ServiceException.Refused(ErrorData.MfaNotPending);
        }

        if (TotpCodes.MatchingStep(enrolment.Secret, code.Trim(), clock.GetUtcNow()) is not { } step
            || !await MfaRepository.ConfirmAsync(connection, transaction, caller.UserId, step, clock.NowMilliseconds(), backupCodes.Select(c => TotpCodes.BackupHashOfTyped(c)!).ToArray(), cancellationToken).ConfigureAwait(false))
        {
            throw ServiceException.Refused(ErrorData.MfaCodeInvalid);
        }

        await audit.RecordAsync(connection, transaction, caller.UserId, "user.mfa.enable", "user", Id(caller.UserId), null, null, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        bus.Publish(new UserChanged(caller.UserId));
        return new MfaBackupCodes { BackupCodes = backupCodes };
    }

    public async Task<bool> DisableAsync(string code, CancellationToken cancellationToken = default)
    {
        var context = call.Current;
        var caller = context.RequireCaller();
        // A stolen token must not become a way to guess codes: wrong ones count as failed logins.
        var attempt = rateLimiter.BeginLogin(LoginRateLimiter.AccountKey(caller.UserId), context.ClientAddress);
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        var enrolment = await MfaRepository.FindAsync(connection, transaction, caller.UserId, cancellationToken).ConfigureAwait(false);
        if (enrolment is not { EnabledAt: not null })
        {
            attempt.Succeeded();
            throw ServiceException.Refused(ErrorData.MfaNotOn);
        }

        if (!await SpendCodeAsync(connection, transaction, enrolment, code, cancellationToken).ConfigureAwait(false))
        {
            throw ServiceException.Refused(ErrorData.MfaCodeInvalid);
        }

        await MfaRepository.RemoveAsync(connection, transaction, caller.UserId, cancellationToken).ConfigureAwait(false);
        await audit.RecordAsync(connection, transaction, caller.UserId, "user.mfa.disable", "user", Id(caller.UserId), null, null, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        bus.Publish(new UserChanged(caller.UserId));
        attempt.Succeeded();
        return true;
    }

    public async Task<AuthResult> AuthAsync(string ticket, string code, CancellationToken cancellationToken = default)
    {
        var origin = call.Current;
        if (!TokenService.IsWellFormed(ticket))
        {
            throw ServiceException.Refused(ErrorData.MfaTicketInvalid);
        }

        var ticketHash = TokenService.Hash(ticket);
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var pending = await MfaRepository.FindTicketAsync(connection, ticketHash, clock.NowMilliseconds(), cancellationToken).ConfigureAwait(false)
            ?? throw ServiceException.Refused(ErrorData.MfaTicketInvalid);
        var attempt = rateLimiter.BeginLogin(LoginRateLimiter.AccountKey(pending.UserId), origin.ClientAddress);
        await using (var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false))
        {
            // The ticket is spent only with a right code, so a typo can be retried while the limits allow.
            var enrolment = await MfaRepository.FindAsync(connection, transaction, pending.UserId, cancellationToken).ConfigureAwait(false);
            if (!await MfaRepository.SpendTicketAsync(connection, transaction, ticketHash, clock.NowMilliseconds(), cancellationToken).ConfigureAwait(false))
            {
                attempt.Succeeded();
                throw ServiceException.Refused(ErrorData.MfaTicketInvalid);
            }

            if (enrolment is not { EnabledAt: not null } || !await SpendCodeAsync(connection, transaction, enrolment, code, cancellationToken).ConfigureAwait(false))
            {
                throw ServiceException.Refused(ErrorData.MfaCodeInvalid);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        var user = await users.FindLiveAsync(pending.UserId, cancellationToken).ConfigureAwait(false)
            ?? throw ServiceException.Refused(ErrorData.MfaTicketInvalid);
        var result = await logins.StartAsync(user, pending.PasswordHash, null, origin, cancellationToken).ConfigureAwait(false);
        attempt.Succeeded();
        return result;
    }

    /// <summary>The answer of <c>users.auth</c> for an account with two-factor login on: a ticket, tied to the password hash that was verified.</summary>
    public async Task<AuthResult> IssueTicketAsync(UserRow user, CancellationToken cancellationToken)
    {
        var ticket = TokenService.NewToken();
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var now = clock.NowMilliseconds();
        await MfaRepository.AddTicketAsync(connection, TokenService.Hash(ticket), new MfaTicketRow
        {
            UserId = user.Id,
            PasswordHash = user.PasswordHash,
            ExpiresAt = now + options.Value.MfaTicketSeconds * 1000L,
        }, now, cancellationToken).ConfigureAwait(false);
        return new AuthResult { UserId = user.Id, MfaRequired = true, Ticket = ticket };
    }

    /// <summary>Whether two-factor login is on for <paramref name="userId"/>.</summary>
    public async Task<bool> IsOnAsync(long userId, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await MfaRepository.IsEnabledAsync(connection, userId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Spends <paramref name="code"/>: a TOTP code of a step not used before, or an unused backup code.</summary>
    private async Task<bool> SpendCodeAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction, MfaRow enrolment, string code, CancellationToken cancellationToken)
    {
        var trimmed = code.Trim();
        if (TotpCodes.MatchingStep(enrolment.Secret, trimmed, clock.GetUtcNow()) is { } step)
        {
            return await MfaRepository.SpendStepAsync(connection, transaction, enrolment.UserId, step, cancellationToken).ConfigureAwait(false);
        }

        return TotpCodes.BackupHashOfTyped(trimmed) is { } backupHash
            && await MfaRepository.SpendBackupCodeAsync(connection, transaction, enrolment.UserId, backupHash, clock.NowMilliseconds(), cancellationToken).ConfigureAwait(false);
    }

    private static string Id(long id) => id.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
