using Rpc.Contracts.Protocol;
using Rpc.Contracts.Users;
using Rpc.Server.Data;
using Rpc.Server.Security;
using Rpc.Server.Errors;

namespace Rpc.Server.Services;

/// <summary><c>users.delete</c>: a user deletes its own account, proving it with its password.</summary>
public sealed class AccountDeletionService(
    UserRepository users,
    PasswordHasher hasher,
    LoginRateLimiter rateLimiter,
    AccountDeletion deletion,
    ServiceCallAccessor call) : IAccountDeletionApi
{
    public async Task<bool> DeleteAsync(string password, CancellationToken cancellationToken = default)
    {
        var context = call.Current;
        var caller = context.RequireCaller();
        var user = await users.FindLiveAsync(caller.UserId, cancellationToken).ConfigureAwait(false)
            ?? throw ServiceException.Refused(ErrorData.InvalidToken);
        if ((user.Flags & (1L << (int)UserFlag.Staff)) != 0)
        {
            throw ServiceException.Refused(ErrorData.StaffCannotDeleteSelf);
        }

        // A stolen token must not become a way to guess the password: failures count as failed logins.
        var attempt = rateLimiter.BeginLogin(user.UsernameKey, context.ClientAddress);
        if (await hasher.VerifyAsync(password, user.PasswordHash, cancellationToken).ConfigureAwait(false) == PasswordCheck.Failed)
        {
            throw ServiceException.Refused(ErrorData.InvalidPassword);
        }

        attempt.Succeeded();
        await deletion.DeleteAsync(caller.UserId, caller.UserId, ErrorData.StaffCannotDeleteSelf, cancellationToken).ConfigureAwait(false);
        return true;
    }
}
