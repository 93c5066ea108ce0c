using Rpc.Contracts.Protocol;
using Rpc.Server.Errors;

namespace Rpc.Server.Security;

/// <summary>
/// A signed-in user proving its password again (<c>users.changePassword</c>, <c>users.delete</c>): the hash waits
/// in the caller's address line of the <see cref="HashQueue"/>, and a wrong password counts as a failed login of
/// the account (keyed on its id, as <c>users.auth</c> counts), so a stolen token cannot guess the password faster
/// than a login could. The caller has already taken the hash from its message's <see cref="HashAllowance"/>.
/// </summary>
public sealed class PasswordConfirmation(PasswordHasher hasher, LoginRateLimiter rateLimiter)
{
    /// <summary>Checks <paramref name="password"/> against the account's stored hash, or throws <see cref="ErrorData.InvalidPassword"/> (or the rate-limit error).</summary>
    public async Task ConfirmAsync(long userId, string passwordHash, string password, string? clientAddress, HashAllowance hashes, CancellationToken cancellationToken)
    {
        var attempt = rateLimiter.BeginLogin(LoginRateLimiter.AccountKey(userId), clientAddress);
        if (await hasher.VerifyAsync(password, passwordHash, hashes.AddressKey, cancellationToken).ConfigureAwait(false) == PasswordCheck.Failed)
        {
            throw ServiceException.Refused(ErrorData.InvalidPassword);
        }

        attempt.Succeeded();
    }
}
