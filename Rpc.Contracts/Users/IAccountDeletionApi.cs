using StreamJsonRpc;

namespace Rpc.Contracts.Users;

/// <summary>Leaving the platform (issue 14).</summary>
public interface IAccountDeletionApi
{
    /// <summary>
    /// Deletes the caller's own account with the soft delete staff use (seed 003's rules): the name is
    /// released, sessions end, guilds and group DMs are left. Refused for staff accounts.
    /// </summary>
    /// <param name="password">The caller's password.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("users.delete")]
    Task<bool> DeleteAsync(string password, CancellationToken cancellationToken = default);
}
