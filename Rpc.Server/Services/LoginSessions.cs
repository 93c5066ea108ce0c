using Microsoft.Extensions.Options;
using Rpc.Contracts.Gateway;
using Rpc.Contracts.Protocol;
using Rpc.Contracts.Users;
using Rpc.Server.Data;
using Rpc.Server.Errors;
using Rpc.Server.Events;
using Rpc.Server.Security;

namespace Rpc.Server.Services;

/// <summary>
/// The end of every login (<c>users.auth</c>, <c>users.auth.mfa</c>): a session tied to the password
/// hash that was verified, so a password change or a disable committed meanwhile wins; the oldest
/// sessions past <c>Sessions:MaxPerUser</c> revoked; the sign-in recorded for the connection.
/// </summary>
public sealed class LoginSessions(
    SessionRepository sessions,
    DbConnectionFactory connections,
    SnowflakeGenerator ids,
    IEventBus bus,
    IOptions<SessionLimitsOptions> options,
    TimeProvider clock)
{
    /// <summary>Starts the session; refused with <c>account disabled…</c> or <c>invalid password</c> when the account changed since <paramref name="verifiedHash"/> was read.</summary>
    public async Task<AuthResult> StartAsync(UserRow user, string verifiedHash, string? rehash, ServiceCall origin, CancellationToken cancellationToken)
    {
        var token = TokenService.NewToken();
        var now = clock.NowMilliseconds();
        var session = new NewSession
        {
            Id = ids.Next(),
            UserId = user.Id,
            TokenHash = TokenService.Hash(token),
            CreatedAt = now,
            ClientAddress = origin.ClientAddress,
            UserAgent = origin.UserAgent,
        };

        var o = options.Value;
        var displaced = await sessions.InsertForCredentialAsync(session, verifiedHash, rehash, o.MaxPerUser, o.CutoffsAt(now), cancellationToken).ConfigureAwait(false)
            ?? throw ServiceException.Refused(await RefusalAsync(user.Id, cancellationToken).ConfigureAwait(false) ?? ErrorData.InvalidPassword);
        foreach (var sessionId in displaced)
        {
            bus.Publish(CloseConnections.Revoked(user.Id, sessionId));
        }

        origin.SignIn(token, new Caller(user.Id, session.Id, user.Flags));
        return new AuthResult { UserId = user.Id, Token = token };
    }

    /// <summary>The refusal a login of <paramref name="userId"/> gets now although its credentials are right (a disable in force), or null.</summary>
    public async Task<string?> RefusalAsync(long userId, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var suspension = await AccountStateRepository.FindSuspensionAsync(connection, null, userId, clock.NowMilliseconds(), cancellationToken).ConfigureAwait(false);
        return suspension is null ? null : AccountDisables.Refusal(suspension);
    }
}
