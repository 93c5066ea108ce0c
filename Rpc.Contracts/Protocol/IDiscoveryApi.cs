using System.Text.Json;
using StreamJsonRpc;

namespace Rpc.Contracts.Protocol;

/// <summary>Service discovery: the OpenRPC document that describes every other method.</summary>
public interface IDiscoveryApi
{
    /// <summary>
    /// Returns the server's OpenRPC 1.3 document (the same JSON as <c>GET /openrpc.json</c>): every method
    /// with its params, result, errors, who may call it and examples, and the gateway's events.
    /// </summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("rpc.discover")]
    [RpcAccess(RpcAccess.Anonymous)]
    Task<JsonElement> DiscoverAsync(CancellationToken cancellationToken = default);
}
