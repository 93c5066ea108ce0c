using Rpc.Contracts.Protocol;
using StreamJsonRpc;

namespace Rpc.Contracts.Users;

/// <summary>Getting back into an account with a code staff issued (<c>admin.users.resetPassword</c>, <c>./run.sh manage reset-password</c>).</summary>
public interface IAccountRecoveryApi
{
    /// <summary>
    /// Spends a password reset code: sets the new password and ends every session of the account (its
    /// connections close with 4004). Two-factor login, when on, stays on.
    /// </summary>
    /// <param name="code">The code as staff handed it over; dashes, spaces and case do not matter.</param>
    /// <param name="password">The new password, with the rules of <c>users.create</c>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("users.resetPassword")]
    [RpcAccess(RpcAccess.Anonymous)]
    Task<bool> ResetPasswordAsync(string code, string password, CancellationToken cancellationToken = default);
}
