using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Rpc.Contracts.Protocol;
using Rpc.Server.Dispatch;
using Rpc.Server.Gateway;

namespace Rpc.Server.Transport;

/// <summary>
/// <c>GET /rpc</c> with an upgrade: admits the connection within the WebSocket limits (else 503 or 429
/// with a JSON-RPC error body), accepts it with the server pinging it and dropping it when no pong
/// comes back within the idle timeout, and runs it until it ends.
/// </summary>
public sealed class WebSocketRpcEndpoint(
    RpcProcessor processor,
    RpcErrorWriter errors,
    WebSocketAdmission admission,
    ReplyBudget replyBudget,
    GatewayHub gateway,
    IOptions<RpcLimitsOptions> limits,
    IOptions<GatewayOptions> gatewayOptions,
    IOptions<ConnectionLimitsOptions> connectionLimits,
    TimeProvider time,
    ILogger<WebSocketRpcConnection> logger)
{
    public async Task HandleAsync(HttpContext context)
    {
        var address = Security.AddressKey.Of(context.Connection.RemoteIpAddress?.ToString());
        if (admission.TryAdmit(address) is { } refusal)
        {
            context.Response.StatusCode = refusal.Status;
            context.Response.ContentType = "application/json; charset=utf-8";
            var buffer = new ArrayBufferWriter<byte>(256);
            using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            {
                errors.Write(writer, null, RpcErrorCodes.InvalidRequest, refusal.Data, RequestOriginFactory.From(context).Culture);
            }

            await context.Response.Body.WriteAsync(buffer.WrittenMemory).ConfigureAwait(false);
            return;
        }

        try
        {
            var accept = new WebSocketAcceptContext
            {
                KeepAliveInterval = gatewayOptions.Value.PingInterval,
                KeepAliveTimeout = gatewayOptions.Value.IdleTimeout,
            };
            using var socket = await context.WebSockets.AcceptWebSocketAsync(accept).ConfigureAwait(false);
            var anonymousIdle = TimeSpan.FromSeconds(connectionLimits.Value.AnonymousIdleSeconds);
            var connection = new WebSocketRpcConnection(socket, context, processor, errors, gateway, limits.Value, gatewayOptions.Value, replyBudget, anonymousIdle, time, logger);
            await connection.RunAsync(context.RequestAborted).ConfigureAwait(false);
        }
        finally
        {
            admission.Release(address);
        }
    }
}
