using Microsoft.Extensions.Options;
using Rpc.Server.Dispatch;

namespace Rpc.Server.Transport;

/// <summary><c>GET /rpc</c> with an upgrade: accepts the WebSocket and runs its connection.</summary>
public sealed class WebSocketRpcEndpoint(RpcProcessor processor, RpcErrorWriter errors, IOptions<RpcLimitsOptions> limits, ILogger<WebSocketRpcConnection> logger)
{
    public async Task HandleAsync(HttpContext context)
    {
        using var socket = await context.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
        var connection = new WebSocketRpcConnection(socket, context, processor, errors, limits.Value, logger);
        await connection.RunAsync(context.RequestAborted).ConfigureAwait(false);
    }
}
