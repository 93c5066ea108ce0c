using Rpc.Contracts.Protocol;
using StreamJsonRpc;

namespace Rpc.Contracts.Roles;

/// <summary>
/// The roles users hold: the staff-only <c>discord.roles.*</c> methods of seed 002. Each returns the
/// user's roles after the change, highest priority first. Expired roles are never returned.
/// </summary>
public interface IDiscordRolesApi
{
    /// <summary>Returns a user's roles, highest priority first.</summary>
    /// <param name="userId">The user.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("discord.roles.list")]
    [RpcAccess(RpcAccess.Staff)]
    Task<IReadOnlyList<UserRole>> ListAsync(long userId, CancellationToken cancellationToken = default);

    /// <summary>Gives a user a role, permanently or until an expiry date.</summary>
    /// <param name="userId">The user.</param>
    /// <param name="roleId">The role to give.</param>
    /// <param name="expiryDate">UTC, <c>YYYY-MM-DD HH:MM:SS</c>, in the future; absent, null or <c>1000-01-01 00:00:00</c> for permanent.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("discord.roles.add")]
    [RpcAccess(RpcAccess.Staff)]
    Task<IReadOnlyList<UserRole>> AddAsync(long userId, [RpcName("roleID")] long roleId, [RpcName("expiryDate")] string? expiryDate = null, CancellationToken cancellationToken = default);

    /// <summary>Changes a role the user holds: swaps it for another role, changes its expiry, or both.</summary>
    /// <param name="userId">The user.</param>
    /// <param name="role">The id of the role the user holds.</param>
    /// <param name="roleId">The role to hold instead; absent keeps the role.</param>
    /// <param name="expiryDate">A new expiry date (as in <c>discord.roles.add</c>); absent or null keeps the current one.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("discord.roles.update")]
    [RpcAccess(RpcAccess.Staff)]
    Task<IReadOnlyList<UserRole>> UpdateAsync(long userId, long role, [RpcName("roleID")] long? roleId = null, [RpcName("expiryDate")] string? expiryDate = null, CancellationToken cancellationToken = default);

    /// <summary>Takes a role from a user.</summary>
    /// <param name="userId">The user.</param>
    /// <param name="role">The id of the role to take.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("discord.roles.remove")]
    [RpcAccess(RpcAccess.Staff)]
    Task<IReadOnlyList<UserRole>> RemoveAsync(long userId, long role, CancellationToken cancellationToken = default);
}
