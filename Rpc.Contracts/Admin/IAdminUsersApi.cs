using Rpc.Contracts.Protocol;
using Rpc.Contracts.Users;
using StreamJsonRpc;

namespace Rpc.Contracts.Admin;

/// <summary>User management for staff: the <c>admin.users.*</c> methods of seed 003.</summary>
public interface IAdminUsersApi
{
    /// <summary>Creates an account, whatever the registration mode, and returns its user object.</summary>
    /// <param name="username">The same rules as <c>users.create</c>.</param>
    /// <param name="email">The account's email: <c>name@domain</c>, at most 254 characters.</param>
    /// <param name="password">The same rules as <c>users.create</c>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("admin.users.create")]
    [RpcAccess(RpcAccess.Staff)]
    Task<User> CreateAsync(string username, string email, string password, CancellationToken cancellationToken = default);

    /// <summary>
    /// Finds users by a case-insensitive username prefix and/or an exact discriminator, ordered by id,
    /// deleted users included.
    /// </summary>
    /// <param name="username">A prefix of the username, compared NFKC-normalized and lower-cased; 1 to 32 characters.</param>
    /// <param name="discriminator">The exact 4-digit discriminator.</param>
    /// <param name="page">The page, from 0, counted after <paramref name="after"/>; page × per_page at most 10,000.</param>
    /// <param name="perPage">Users per page, 1 to 50.</param>
    /// <param name="after">Only users with a greater id: the last id of the previous page (keyset paging, as fast at any depth).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("admin.users.search")]
    [RpcAccess(RpcAccess.Staff)]
    Task<IReadOnlyList<User>> SearchAsync(string? username = null, string? discriminator = null, int page = 0, int perPage = 20, long after = 0, CancellationToken cancellationToken = default);

    /// <summary>
    /// Soft-deletes a user: the row stays as <c>Deleted User &lt;hex&gt;</c>, its name is released, email,
    /// avatar and flags are cleared, no password works, its sessions end and its connections close.
    /// </summary>
    /// <param name="userId">The user to delete; not the caller, not a staff user.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("admin.users.delete")]
    [RpcAccess(RpcAccess.Staff)]
    Task<UserDeleteResult> DeleteAsync(long userId, CancellationToken cancellationToken = default);

    /// <summary>Sets a user's flags; the Staff flag keeps its state whatever is sent (seed 003's note).</summary>
    /// <param name="userId">The user to update.</param>
    /// <param name="flags">The new flags, as the array of flag values the user object has.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("admin.users.update")]
    [RpcAccess(RpcAccess.Staff)]
    Task<User> UpdateAsync(long userId, IReadOnlyList<UserFlag> flags, CancellationToken cancellationToken = default);
}
