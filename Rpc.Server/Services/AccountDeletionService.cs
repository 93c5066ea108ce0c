using Rpc.Contracts.Protocol;
using Rpc.Contracts.Users;
using Rpc.Server.Data;
using Rpc.Server.Security;
using Rpc.Server.Errors;

namespace Rpc.Server.Services;

/// <summary><c>users.delete</c>: a user deletes its own account, proving it with its password.</summary>
public sealed class AccountDeletionService(
    UserRepository users,
    PasswordConfirmation confirmation,
    AccountDeletion deletion,
    ServiceCallAccessor call) : IAccountDeletionApi
{
    public async Task<bool> DeleteAsync(string password, CancellationToken cancellationToken = default)
    {
        var context = call.Current;
        var caller = context.RequireCaller();
        context.Hashes.Take();
        var user = await users.FindLiveAsync(caller.UserId, cancellationToken).ConfigureAwait(false)
            ?? throw ServiceException.Refused(ErrorData.InvalidToken);
        if ((user.Flags & (1L << (int)UserFlag.Staff)) != 0)
        {
            throw ServiceException.Refused(ErrorData.StaffCannotDeleteSelf);
        }

        await confirmation.ConfirmAsync(user.Id, user.PasswordHash, password, context.ClientAddress, context.Hashes, cancellationToken).ConfigureAwait(false);
        await deletion.DeleteAsync(caller.UserId, caller.UserId, ErrorData.StaffCannotDeleteSelf, cancellationToken).ConfigureAwait(false);
        return true;
    }
}
