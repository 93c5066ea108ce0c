using Rpc.Contracts.Protocol;
using StreamJsonRpc;

namespace Rpc.Contracts.Roles;

/// <summary>The role catalogue: the staff-only <c>admin.roles.*</c> methods.</summary>
public interface IRolesAdminApi
{
    /// <summary>Creates a role.</summary>
    /// <param name="name">1 to 64 characters.</param>
    /// <param name="slug">1 to 32 lowercase letters, digits or '-'; unique.</param>
    /// <param name="priority">0 to 1000000; higher comes first.</param>
    /// <param name="discordRoleId">The Discord role it maps to: a snowflake of 17 to 19 digits.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("admin.roles.create")]
    [RpcAccess(RpcAccess.Staff)]
    Task<Role> CreateAsync(string name, string slug, int priority, string? discordRoleId = null, CancellationToken cancellationToken = default);

    /// <summary>Lists the catalogue, ordered by id.</summary>
    /// <param name="limit">Page size, 1 to 100; default 50.</param>
    /// <param name="after">A role id: the list goes on with greater ids.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("admin.roles.list")]
    [RpcAccess(RpcAccess.Staff)]
    Task<IReadOnlyList<Role>> ListAsync(int? limit = null, long? after = null, CancellationToken cancellationToken = default);

    /// <summary>Changes a role; absent params keep their value.</summary>
    /// <param name="roleId">The role to change.</param>
    /// <param name="name">A new name.</param>
    /// <param name="slug">A new slug.</param>
    /// <param name="priority">A new priority.</param>
    /// <param name="discordRoleId">A new Discord role id; an empty string removes it.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("admin.roles.update")]
    [RpcAccess(RpcAccess.Staff)]
    Task<Role> UpdateAsync(long roleId, string? name = null, string? slug = null, int? priority = null, string? discordRoleId = null, CancellationToken cancellationToken = default);

    /// <summary>Deletes a role and takes it from every user holding it; returns the deleted role.</summary>
    /// <param name="roleId">The role to delete.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("admin.roles.delete")]
    [RpcAccess(RpcAccess.Staff)]
    Task<Role> DeleteAsync(long roleId, CancellationToken cancellationToken = default);
}
