using System.Text.Json;
using Rpc.Contracts.Protocol;

namespace Rpc.Server.Dispatch.OpenRpc;

/// <summary>
/// <c>rpc.discover</c>. The document describes the method table this service is part of, so it is
/// reached lazily: it is built at start-up all the same, when <c>GET /openrpc.json</c> is mapped.
/// </summary>
public sealed class DiscoveryService(Lazy<OpenRpcDocument> document) : IDiscoveryApi
{
    public Task<JsonElement> DiscoverAsync(CancellationToken cancellationToken = default) => Task.FromResult(document.Value.Element);
}
