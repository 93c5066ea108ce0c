using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Rpc.Contracts.Gateway;
using Rpc.Contracts.Protocol;
using Rpc.Server.Dispatch;
using Rpc.Server.Gateway;
using Rpc.Server.Operations;
using Rpc.Server.Errors;

namespace Rpc.Server.Transport;

/// <summary>
/// <c>GET /rpc</c> with an upgrade: checks its Origin against <c>Server:AllowedOrigins</c> (else 403), admits
/// the connection within the WebSocket limits (else 503 or 429 with a JSON-RPC error body; 503 also while
/// the server shuts down), checks an <c>Authorization: Bearer</c> token (else 401), accepts it with
/// the server pinging it and dropping it when no pong comes back within the idle timeout, and runs it
/// until it ends; with a bearer token its gateway session starts at once (READY is the first frame).
/// </summary>
public sealed class WebSocketRpcEndpoint(
    RpcProcessor processor,
    Security.Authenticator authenticator,
    RpcErrorWriter errors,
    WebSocketAdmission admission,
    AddressPacer pacer,
    ReplyBudget replyBudget,
    OpenWebSockets open,
    OriginPolicy origins,
    SecurityLog security,
    GatewayHub gateway,
    IOptions<RpcLimitsOptions> limits,
    IOptions<GatewayOptions> gatewayOptions,
    IOptions<ConnectionLimitsOptions> connectionLimits,
    TimeProvider time,
    ILogger<WebSocketRpcConnection> logger)
{
    public async Task HandleAsync(HttpContext context)
    {
        if (!origins.AllowsUpgrade(context.Request))
        {
            await RefuseAsync(context, StatusCodes.Status403Forbidden, RpcErrorCodes.InvalidRequest, ErrorData.OriginNotAllowed).ConfigureAwait(false);
            return;
        }

        if (open.Closing)
        {
            await RefuseAsync(context, StatusCodes.Status503ServiceUnavailable, RpcErrorCodes.InvalidRequest, ErrorData.ServerRestarting).ConfigureAwait(false);
            return;
        }

        var client = RequestOriginFactory.ClientAddressOf(context);
        var address = Security.AddressKey.Of(client);
        if (admission.TryAdmit(address) is { } refusal)
        {
            security.ConnectionRefused(refusal.Status == StatusCodes.Status429TooManyRequests ? "websockets_per_address" : "websockets", client);
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
                catch (ServiceException e)
                {
                    await RefuseAsync(context, StatusCodes.Status401Unauthorized, RpcException.CodeOf(e.Kind), e.ErrorData).ConfigureAwait(false);
                    return;
                }
            }

            var heartbeat = HeartbeatTiming.For(gatewayOptions.Value.PingInterval, gatewayOptions.Value.IdleTimeout);
            var accept = new WebSocketAcceptContext
            {
                KeepAliveInterval = heartbeat.Interval,
                KeepAliveTimeout = heartbeat.Timeout,
            };
            if (gatewayOptions.Value.SocketSendBufferBytes > 0 && context.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionSocketFeature>()?.Socket is { } tcp)
            {
                tcp.SendBufferSize = gatewayOptions.Value.SocketSendBufferBytes;
            }

            using var socket = await context.WebSockets.AcceptWebSocketAsync(accept).ConfigureAwait(false);
            var anonymousIdle = TimeSpan.FromSeconds(connectionLimits.Value.AnonymousIdleSeconds);
            var connection = new WebSocketRpcConnection(socket, context, processor, errors, gateway, limits.Value, gatewayOptions.Value, replyBudget, admission.LoadOf(address), pacer, anonymousIdle, time, logger);
            // A server going down says so (OpenWebSockets closes every connection with 1012), so that clients
            // resume elsewhere (or later) instead of seeing a drop.
            open.Add(connection);
            ServerMetrics.WebSocketOpened();
            try
            {
                await connection.RunAsync(identifyAs, context.RequestAborted).ConfigureAwait(false);
            }
            finally
            {
                ServerMetrics.WebSocketClosed();
                open.Remove(connection);
            }
        }
        finally
        {
            admission.Release(address);
        }
    }

    private Task RefuseAsync(HttpContext context, int status, int code, string data) =>
        HttpRefusal.WriteAsync(context.Response, errors, status, data, RequestOriginFactory.From(context).Culture, code);
}
