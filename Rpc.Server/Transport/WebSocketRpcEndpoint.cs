using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Rpc.Contracts.Protocol;
using Rpc.Server.Dispatch;

namespace Rpc.Server.Transport;

/// <summary>
/// <c>GET /rpc</c> with an upgrade: admits the connection within the WebSocket limits (else 503 or 429
/// with a JSON-RPC error body), accepts it and runs it until it ends.
/// </summary>
public sealed class WebSocketRpcEndpoint(
    RpcProcessor processor,
    RpcErrorWriter errors,
    WebSocketAdmission admission,
    TimeProvider clock,
    IOptions<RpcLimitsOptions> limits,
    IOptions<ConnectionLimitsOptions> connectionLimits,
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
            using var socket = await context.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
            var idle = new ConnectionIdleWatch(clock, TimeSpan.FromSeconds(connectionLimits.Value.IdleTimeoutSeconds));
            var connection = new WebSocketRpcConnection(socket, context, processor, errors, limits.Value, idle, clock, logger);
            await connection.RunAsync(context.RequestAborted).ConfigureAwait(false);
        }
        finally
        {
            admission.Release(address);
        }
    }
}
