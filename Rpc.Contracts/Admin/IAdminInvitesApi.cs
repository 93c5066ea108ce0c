using Rpc.Contracts.Protocol;
using StreamJsonRpc;

namespace Rpc.Contracts.Admin;

/// <summary>Instance invites for staff: the <c>admin.invites.*</c> methods (seed 003's <c>/instance/invites</c>).</summary>
public interface IAdminInvitesApi
{
    /// <summary>Lists the instance invites, oldest first.</summary>
    /// <param name="limit">At most this many, 1 to 100 (default 50).</param>
    /// <param name="after">An invite code: the list goes on with the invites created after it.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("admin.invites.list")]
    [RpcAccess(RpcAccess.Staff)]
    Task<IReadOnlyList<InstanceInvite>> ListAsync(int? limit = null, string? after = null, CancellationToken cancellationToken = default);

    /// <summary>Creates an instance invite and returns it.</summary>
    /// <param name="maxUses">-1 for unlimited, 0 for disabled, or the number of accounts it may create.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("admin.invites.create")]
    [RpcAccess(RpcAccess.Staff)]
    Task<InstanceInvite> CreateAsync(int maxUses, CancellationToken cancellationToken = default);

    /// <summary>Deletes an instance invite; returns true.</summary>
    /// <param name="code">The invite's code.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("admin.invites.delete")]
    [RpcAccess(RpcAccess.Staff)]
    Task<bool> DeleteAsync(string code, CancellationToken cancellationToken = default);
}
