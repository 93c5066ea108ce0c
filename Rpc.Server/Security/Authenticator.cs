using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Rpc.Contracts.Protocol;
using Rpc.Contracts.Users;
using Rpc.Server.Data;
using Rpc.Server.Errors;

namespace Rpc.Server.Security;

/// <summary>The authenticated caller of a request.</summary>
public sealed record Caller(long UserId, long SessionId, long Flags)
{
    public bool IsStaff => (Flags & (1L << (int)UserFlag.Staff)) != 0;
}

/// <summary>
/// Resolves a session token to its caller, or fails with a clear authentication error. A revoked or
/// expired session (<see cref="SessionLimitsOptions.IdleDays"/>, <see cref="SessionLimitsOptions.AbsoluteDays"/>)
/// is refused with <see cref="ErrorData.InvalidToken"/>; the <see cref="SessionExpirySweeper"/> purges it.
/// </summary>
public sealed class Authenticator(SessionRepository sessions, TimeProvider clock, IOptions<SessionLimitsOptions> options)
{
    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    public async Task<Caller> AuthenticateAsync(string? token, CancellationToken cancellationToken)
    {
        if (token is null)
        {
            throw ServiceException.Refused(ErrorData.AuthenticationRequired);
        }

        if (!TokenService.IsWellFormed(token))
        {
            throw ServiceException.Refused(ErrorData.InvalidToken);
        }

        var hash = TokenService.Hash(token);
        var now = clock.NowMilliseconds();
        var session = await sessions.FindActiveAsync(hash, options.Value.CutoffsAt(now), cancellationToken).ConfigureAwait(false);
        if (session is null || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(session.TokenHash), Encoding.ASCII.GetBytes(hash)))
        {
            throw ServiceException.Refused(ErrorData.InvalidToken);
        }

        // Recording every use would turn each read into a write; a minute's resolution is enough to list sessions.
        if (now - session.LastUsedAt > LastUsedResolution.TotalMilliseconds)
        {
            await sessions.TouchAsync(session.Id, now, cancellationToken).ConfigureAwait(false);
        }

        return new Caller(session.UserId, session.Id, session.Flags);
    }
}
