using Rpc.Contracts.Protocol;
using StreamJsonRpc;

namespace Rpc.Contracts.Admin;

/// <summary>The audit log of admin changes, for staff.</summary>
public interface IAdminAuditApi
{
    /// <summary>Lists audit records, newest first.</summary>
    /// <param name="limit">At most this many, 1 to 100 (default 50).</param>
    /// <param name="before">An audit record id: the list goes on with the records older than it.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("admin.audit.list")]
    [RpcAccess(RpcAccess.Staff)]
    Task<IReadOnlyList<AuditEntry>> ListAsync(int? limit = null, long? before = null, CancellationToken cancellationToken = default);
}
