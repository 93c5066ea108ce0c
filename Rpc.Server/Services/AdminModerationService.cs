using System.Globalization;
using Dapper;
using Microsoft.Extensions.Options;
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
/// <c>admin.users.get</c>, <c>.disable</c>, <c>.enable</c>, <c>.sessions.revoke</c>, <c>.resetPassword</c> and
/// <c>.mfa.disable</c>: moderation short of deletion. Each change and its audit record share one
/// write transaction; connections are closed after the commit.
/// </summary>
public sealed class AdminModerationService(
    DbConnectionFactory connections,
    AuditLog audit,
    IEventBus events,
    ServiceCallAccessor call,
    PasswordResets resets,
    IOptions<SessionLimitsOptions> sessionOptions,
    TimeProvider clock) : IAdminModerationApi
{
    public async Task<AccountDetails> GetAsync(long userId, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await DetailsAsync(connection, null, userId, cancellationToken).ConfigureAwait(false);
    }

    public async Task<AccountDetails> DisableAsync(long userId, string reason, string? until = null, CancellationToken cancellationToken = default)
    {
        var actor = call.Current.RequireCaller().UserId;
        var now = clock.GetUtcNow();
        var row = new SuspensionRow
        {
            UserId = userId,
            Reason = AccountDisables.ValidateReason(reason),
            EndsAt = AccountDisables.ParseUntil(until, now),
            CreatedAt = now.ToUnixTimeMilliseconds(),
            ActorId = actor,
        };

        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        var target = await LiveUserAsync(connection, transaction, userId, cancellationToken).ConfigureAwait(false);
        if ((target.Flags & (1L << (int)UserFlag.Staff)) != 0)
        {
            throw ServiceException.Refused(ErrorData.CannotDisableStaff);
        }

        var before = await AccountStateRepository.FindSuspensionAsync(connection, transaction, userId, row.CreatedAt, cancellationToken).ConfigureAwait(false);
        await AccountStateRepository.SuspendAsync(connection, transaction, row, cancellationToken).ConfigureAwait(false);
        await AccountStateRepository.RevokeAllAsync(connection, transaction, userId, row.CreatedAt, cancellationToken).ConfigureAwait(false);
        await audit.RecordAsync(connection, transaction, actor, "user.disable", "user", Id(userId),
            before is null ? null : AccountDisables.ToDisable(before), AccountDisables.ToDisable(row), cancellationToken).ConfigureAwait(false);
        var details = await DetailsAsync(connection, transaction, userId, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        events.Publish(new CloseConnections(userId, null, GatewayCloseCodes.AccountDeleted, AccountDisables.CloseReason));
        return details;
    }

    public async Task<AccountDetails> EnableAsync(long userId, CancellationToken cancellationToken = default)
    {
        var actor = call.Current.RequireCaller().UserId;
        var now = clock.NowMilliseconds();
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        await LiveUserAsync(connection, transaction, userId, cancellationToken).ConfigureAwait(false);
        var before = await AccountStateRepository.FindSuspensionAsync(connection, transaction, userId, now, cancellationToken).ConfigureAwait(false);
        if (before is null || !await AccountStateRepository.LiftAsync(connection, transaction, userId, now, cancellationToken).ConfigureAwait(false))
        {
            throw ServiceException.Refused(ErrorData.UserNotDisabled(userId));
        }

        await audit.RecordAsync(connection, transaction, actor, "user.enable", "user", Id(userId), AccountDisables.ToDisable(before), null, cancellationToken).ConfigureAwait(false);
        var details = await DetailsAsync(connection, transaction, userId, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return details;
    }

    public async Task<SessionsRevoked> RevokeSessionsAsync(long userId, CancellationToken cancellationToken = default)
    {
        var actor = call.Current.RequireCaller().UserId;
        var now = clock.NowMilliseconds();
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        await LiveUserAsync(connection, transaction, userId, cancellationToken).ConfigureAwait(false);
        var live = await AccountStateRepository.CountLiveSessionsAsync(connection, userId, sessionOptions.Value.CutoffsAt(now), cancellationToken, transaction).ConfigureAwait(false);
        var ended = await AccountStateRepository.RevokeAllAsync(connection, transaction, userId, now, cancellationToken).ConfigureAwait(false);
        await audit.RecordAsync(connection, transaction, actor, "user.sessions.revoke", "user", Id(userId), null, new SessionsRevoked { Revoked = live }, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        foreach (var sessionId in ended)
        {
            events.Publish(CloseConnections.Revoked(userId, sessionId));
        }

        return new SessionsRevoked { Revoked = live };
    }

    public Task<PasswordResetCode> ResetPasswordAsync(long userId, CancellationToken cancellationToken = default) =>
        resets.IssueAsync(userId, call.Current.RequireCaller().UserId, cancellationToken);

    public async Task<AccountDetails> DisableMfaAsync(long userId, CancellationToken cancellationToken = default)
    {
        var actor = call.Current.RequireCaller().UserId;
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        var target = await LiveUserAsync(connection, transaction, userId, cancellationToken).ConfigureAwait(false);
        if ((target.Flags & (1L << (int)UserFlag.Staff)) != 0)
        {
            throw ServiceException.Refused(ErrorData.CannotDisableStaffMfa);
        }

        if (await MfaRepository.FindAsync(connection, transaction, userId, cancellationToken).ConfigureAwait(false) is not { EnabledAt: not null })
        {
            throw ServiceException.Refused(ErrorData.MfaNotOn);
        }

        await MfaRepository.RemoveAsync(connection, transaction, userId, cancellationToken).ConfigureAwait(false);
        await audit.RecordAsync(connection, transaction, actor, "user.mfa.disable", "user", Id(userId), null, null, cancellationToken).ConfigureAwait(false);
        var details = await DetailsAsync(connection, transaction, userId, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return details;
    }

    private async Task<AccountDetails> DetailsAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction? transaction, long userId, CancellationToken cancellationToken)
    {
        var now = clock.NowMilliseconds();
        var row = await UserAdministration.FindByIdAsync(connection, transaction, userId, cancellationToken).ConfigureAwait(false)
            ?? throw ServiceException.Refused(ErrorData.UserNotFound(userId));
        var suspension = await AccountStateRepository.FindSuspensionAsync(connection, transaction, userId, now, cancellationToken).ConfigureAwait(false);
        var sessions = await AccountStateRepository.CountLiveSessionsAsync(connection, userId, sessionOptions.Value.CutoffsAt(now), cancellationToken, transaction).ConfigureAwait(false);
        var state = await connection.QuerySingleAsync<(long Mfa, long? Owner)>(new CommandDefinition(
            """
            SELECT (SELECT COUNT(*) FROM user_mfa WHERE user_id = @userId AND enabled_at IS NOT NULL),
                   (SELECT owner_id FROM bots WHERE user_id = @userId)
            """,
            new { userId }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return new AccountDetails
        {
            User = UserMapper.ToUser(row),
            Email = row.Email,
            CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(row.CreatedAt),
            DeletedAt = row.DeletedAt is { } deleted ? DateTimeOffset.FromUnixTimeMilliseconds(deleted) : null,
            Disabled = suspension is null ? null : AccountDisables.ToDisable(suspension),
            SessionCount = sessions,
            MfaEnabled = state.Mfa > 0,
            BotOwnerId = state.Owner,
        };
    }

    private static async Task<UserRow> LiveUserAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction, long userId, CancellationToken cancellationToken)
    {
        var row = await UserAdministration.FindByIdAsync(connection, transaction, userId, cancellationToken).ConfigureAwait(false)
            ?? throw ServiceException.Refused(ErrorData.UserNotFound(userId));
        return row.DeletedAt is null ? row : throw ServiceException.Refused(ErrorData.UserDeleted(userId));
    }

    private static string Id(long id) => id.ToString(CultureInfo.InvariantCulture);
}
