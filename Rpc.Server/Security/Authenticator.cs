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
/// Resolved sessions are kept in <see cref="SessionCache"/>; a session's use is still written at most once
/// a minute per server, whether the call was answered from the cache or the database.
/// </summary>
public sealed class Authenticator(SessionRepository sessions, SessionCache cache, TimeProvider clock, IOptions<SessionLimitsOptions> options)
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
        var cutoffs = options.Value.CutoffsAt(now);
        // The key is the token's SHA-256, so a look-up's timing tells nothing of any token.
        if (cache.Find(hash, cutoffs) is { } cached)
        {
            var seen = cached.LastUsedAt;
            if (now - seen > LastUsedResolution.TotalMilliseconds && cached.TryClaimUse(seen, now))
            {
                await sessions.TouchAsync(cached.Caller.SessionId, now, cancellationToken).ConfigureAwait(false);
            }

            return cached.Caller;
        }

        var stamp = cache.Stamp();
        var session = await sessions.FindActiveAsync(hash, cutoffs, cancellationToken).ConfigureAwait(false);
        if (session is null || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(session.TokenHash), Encoding.ASCII.GetBytes(hash)))
        {
            throw ServiceException.Refused(ErrorData.InvalidToken);
        }

        // Recording every use would turn each read into a write; a minute's resolution is enough to list sessions.
        var lastUsedAt = session.LastUsedAt;
        if (now - lastUsedAt > LastUsedResolution.TotalMilliseconds)
        {
            await sessions.TouchAsync(session.Id, now, cancellationToken).ConfigureAwait(false);
            lastUsedAt = now;
        }

        cache.Add(hash, session, lastUsedAt, stamp);
        return new Caller(session.UserId, session.Id, session.Flags);
    }
}
