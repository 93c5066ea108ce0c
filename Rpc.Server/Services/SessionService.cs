using Microsoft.Extensions.Options;
using Rpc.Contracts.Gateway;
using Rpc.Contracts.Protocol;
using Rpc.Contracts.Users;
using Rpc.Server.Data;
using Rpc.Server.Security;
using Rpc.Server.Errors;
using Rpc.Server.Events;

namespace Rpc.Server.Services;

/// <summary>The caller's sessions: <c>users.sessions</c>, <c>users.sessions.revoke</c>, <c>users.changePassword</c>.</summary>
public sealed class SessionService(
    UserRepository users,
    SessionRepository sessions,
    DbConnectionFactory connections,
    PasswordHasher hasher,
    PasswordConfirmation confirmation,
    ServiceCallAccessor call,
    IEventBus bus,
    TimeProvider clock,
    IOptions<SessionLimitsOptions> sessionOptions) : IUserSessionsApi
{
    public async Task<IReadOnlyList<Session>> SessionsAsync(int? limit = null, long? after = null, CancellationToken cancellationToken = default)
    {
        var caller = call.Current.RequireCaller();
        var o = sessionOptions.Value;
        var rows = await sessions.ListActiveAsync(caller.UserId, after, Paging.Limit(limit), o.CutoffsAt(clock.NowMilliseconds()), cancellationToken).ConfigureAwait(false);
        return rows.Select(s => new Session
        {
            Id = s.Id,
            CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(s.CreatedAt),
            LastUsedAt = DateTimeOffset.FromUnixTimeMilliseconds(s.LastUsedAt),
            ExpiresAt = s.NeverExpires ? null : DateTimeOffset.FromUnixTimeMilliseconds(o.ExpiresAt(s.CreatedAt, s.LastUsedAt)),
            ClientAddress = s.ClientAddress,
            UserAgent = s.UserAgent,
            Current = s.Id == caller.SessionId,
        }).ToArray();
    }

    public async Task<bool> RevokeSessionAsync(long sessionId, CancellationToken cancellationToken = default)
    {
        var caller = call.Current.RequireCaller();
        if (!await sessions.RevokeOwnAsync(caller.UserId, sessionId, clock.NowMilliseconds(), cancellationToken).ConfigureAwait(false))
        {
            throw ServiceException.Refused(ErrorData.UnknownSession);
        }

        bus.Publish(CloseConnections.Revoked(caller.UserId, sessionId));
        return true;
    }

    public async Task<bool> ChangePasswordAsync(string oldPassword, string newPassword, CancellationToken cancellationToken = default)
    {
        var caller = call.Current.RequireCaller();
        AccountRules.ValidatePassword(newPassword);
        var hashes = call.Current.Hashes;
        hashes.Take(2);
        var user = await users.FindLiveAsync(caller.UserId, cancellationToken).ConfigureAwait(false)
            ?? throw ServiceException.Refused(ErrorData.InvalidToken);

        await confirmation.ConfirmAsync(user.Id, user.PasswordHash, oldPassword, call.Current.ClientAddress, hashes, cancellationToken).ConfigureAwait(false);
        var hash = await hasher.HashAsync(newPassword, hashes.AddressKey, cancellationToken).ConfigureAwait(false);
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        await UserRepository.UpdatePasswordHashAsync(connection, transaction, caller.UserId, hash, cancellationToken).ConfigureAwait(false);

        var ended = await SessionRepository.RevokeOthersAsync(connection, transaction, caller.UserId, caller.SessionId, clock.NowMilliseconds(), cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        foreach (var sessionId in ended)
        {
            bus.Publish(CloseConnections.Revoked(caller.UserId, sessionId));
        }

        return true;
    }
}
