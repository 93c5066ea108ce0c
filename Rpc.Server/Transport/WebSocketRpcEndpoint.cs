using Microsoft.Extensions.Options;
using Rpc.Server.Dispatch;
using Rpc.Server.Gateway;

namespace Rpc.Server.Transport;

/// <summary>
/// <c>GET /rpc</c> with an upgrade: accepts the WebSocket, with the server pinging it and closing it
/// when no pong comes back within the idle timeout, and runs its connection.
/// </summary>
public sealed class WebSocketRpcEndpoint(
    RpcProcessor processor,
    RpcErrorWriter errors,
    GatewayHub gateway,
    IOptions<RpcLimitsOptions> limits,
    IOptions<GatewayOptions> gatewayOptions,
    ILogger<WebSocketRpcConnection> logger)
{
    public async Task HandleAsync(HttpContext context)
    {
        var accept = new WebSocketAcceptContext
        {
            KeepAliveInterval = gatewayOptions.Value.PingInterval,
            KeepAliveTimeout = gatewayOptions.Value.IdleTimeout,
        };
        using var socket = await context.WebSockets.AcceptWebSocketAsync(accept).ConfigureAwait(false);
        var connection = new WebSocketRpcConnection(socket, context, processor, errors, gateway, limits.Value, gatewayOptions.Value, logger);
        await connection.RunAsync(context.RequestAborted).ConfigureAwait(false);
    }
}
