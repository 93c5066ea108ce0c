using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Rpc.Contracts.Gateway;
using Rpc.Contracts.Protocol;
using Rpc.Server.Dispatch;
using Rpc.Server.Gateway;

namespace Rpc.Server.Transport;

/// <summary>
/// <c>GET /rpc</c> with an upgrade: admits the connection within the WebSocket limits (else 503 or 429
/// with a JSON-RPC error body), checks an <c>Authorization: Bearer</c> token (else 401), accepts it with
/// the server pinging it and dropping it when no pong comes back within the idle timeout, and runs it
/// until it ends; with a bearer token its gateway session starts at once (READY is the first frame).
/// </summary>
public sealed class WebSocketRpcEndpoint(
    RpcProcessor processor,
    Security.Authenticator authenticator,
    RpcErrorWriter errors,
    WebSocketAdmission admission,
    GatewayHub gateway,
    IOptions<RpcLimitsOptions> limits,
    IOptions<GatewayOptions> gatewayOptions,
    IOptions<ConnectionLimitsOptions> connectionLimits,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<WebSocketRpcConnection> logger)
{
    public async Task HandleAsync(HttpContext context)
    {
        var address = Security.AddressKey.Of(context.Connection.RemoteIpAddress?.ToString());
        if (admission.TryAdmit(address) is { } refusal)
        {
            await RefuseAsync(context, refusal.Status, RpcErrorCodes.InvalidRequest, refusal.Data).ConfigureAwait(false);
            return;
        }

        try
        {
            (string, Security.Caller)? identifyAs = null;
            if (RequestOriginFactory.From(context).BearerToken is { } token)
            {
                try
                {
                    identifyAs = (token, await authenticator.AuthenticateAsync(token, context.RequestAborted).ConfigureAwait(false));
                }
                catch (RpcException e)
                {
                    await RefuseAsync(context, StatusCodes.Status401Unauthorized, e.Code, e.ErrorData).ConfigureAwait(false);
                    return;
                }
            }

            var heartbeat = HeartbeatTiming.For(gatewayOptions.Value.PingInterval, gatewayOptions.Value.IdleTimeout);
            var accept = new WebSocketAcceptContext
            {
                KeepAliveInterval = heartbeat.Interval,
                KeepAliveTimeout = heartbeat.Timeout,
            };
            using var socket = await context.WebSockets.AcceptWebSocketAsync(accept).ConfigureAwait(false);
            var anonymousIdle = TimeSpan.FromSeconds(connectionLimits.Value.AnonymousIdleSeconds);
            var connection = new WebSocketRpcConnection(socket, context, processor, errors, gateway, limits.Value, gatewayOptions.Value, anonymousIdle, time, logger);
            // A server going down says so, so that clients resume elsewhere (or later) instead of seeing a drop.
            using var stopping = lifetime.ApplicationStopping.Register(() => connection.Close(GatewayCloseCodes.ServiceRestart, "server restarting: reconnect and resume", discardQueued: false));
            await connection.RunAsync(identifyAs, context.RequestAborted).ConfigureAwait(false);
        }
        finally
        {
            admission.Release(address);
        }
    }

    private async Task RefuseAsync(HttpContext context, int status, int code, string data)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            errors.Write(writer, null, code, data, RequestOriginFactory.From(context).Culture);
        }

        await context.Response.Body.WriteAsync(buffer.WrittenMemory).ConfigureAwait(false);
    }
}
