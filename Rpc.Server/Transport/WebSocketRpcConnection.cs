using System.Buffers;
using System.Net.WebSockets;
using System.Text.Encodings.Web;
using System.Text.Json;
using Nerdbank.Streams;
using Rpc.Contracts.Protocol;
using Rpc.Server.Dispatch;
using Rpc.Server.Security;

namespace Rpc.Server.Transport;

/// <summary>
/// One WebSocket at <c>/rpc</c>. Each message is a request or a batch and gets one reply message
/// (none for notifications). Requests run concurrently up to a per-connection bound and are answered
/// as they finish; a send lock keeps one frame on the wire at a time, and a reply that finds it free
/// is written at once by the request that produced it (no hand-off to another thread). A bad frame
/// is answered with an error and never ends the connection.
/// </summary>
public sealed class WebSocketRpcConnection : IRpcConnection
{
    private static readonly TimeSpan CloseHandshakeTimeout = TimeSpan.FromSeconds(5);
    private readonly WebSocket socket;
    private readonly RpcProcessor processor;
    private readonly RpcErrorWriter errors;
    private readonly RpcLimitsOptions limits;
    private readonly ILogger logger;
    private readonly SemaphoreSlim inFlight;
    private readonly SemaphoreSlim sendLock = new(1, 1);
    private readonly CancellationTokenSource closing = new();
    private readonly ConnectionIdleWatch idle;
    private readonly TimeProvider clock;
    private volatile AuthenticatedAs? authenticated;
    private volatile bool closeSent;

    public WebSocketRpcConnection(WebSocket socket, HttpContext context, RpcProcessor processor, RpcErrorWriter errors, RpcLimitsOptions limits, ConnectionIdleWatch idle, TimeProvider clock, ILogger logger)
    {
        this.socket = socket;
        this.idle = idle;
        this.clock = clock;
        this.processor = processor;
        this.errors = errors;
        this.limits = limits;
        this.logger = logger;
        Origin = RequestOriginFactory.From(context, this);
        inFlight = new SemaphoreSlim(limits.MaxInFlightPerConnection);
    }

    public RequestOrigin Origin { get; }

    public string? Token => authenticated?.Token;

    /// <summary>The caller this connection is authenticated as, if any.</summary>
    public Caller? Caller => authenticated?.Caller;

    public void Authenticate(string token, Caller caller) => authenticated = new AuthenticatedAs(token, caller);

    public void Deauthenticate(string token)
    {
        if (authenticated?.Token == token)
        {
            authenticated = null;
        }
    }

    /// <summary>
    /// Closes the connection from the server side with <paramref name="status"/>: after the frame being
    /// sent, the close frame goes out and later replies are dropped; a client that does not answer the
    /// close within 5 s is cut off.
    /// </summary>
    public async Task CloseAsync(WebSocketCloseStatus status, string reason)
    {
        await sendLock.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            if (closeSent || socket.State != WebSocketState.Open)
            {
                return;
            }

            closeSent = true;
            await socket.CloseOutputAsync(status, reason, CancellationToken.None).ConfigureAwait(false);
        }
        catch (WebSocketException)
        {
            return;
        }
        finally
        {
            sendLock.Release();
        }

        // The receive loop ends when the client answers the close; one that never does is aborted.
        _ = AbortUnlessClosedAsync();
    }

    public async Task RunAsync(CancellationToken aborted)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(aborted, closing.Token);
        var watch = idle.RunAsync(CloseAsync, linked.Token);
        try
        {
            await ReceiveLoopAsync(linked.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            logger.LogDebug(e, "WebSocket receive ended");
        }
        finally
        {
            // Let the requests still running finish and send their replies.
            for (var i = 0; i < limits.MaxInFlightPerConnection; i++)
            {
                await inFlight.WaitAsync(CancellationToken.None).ConfigureAwait(false);
            }

            await closing.CancelAsync().ConfigureAwait(false);
            await watch.ConfigureAwait(false);
            if (!closeSent && socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                try
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).ConfigureAwait(false);
                }
                catch (WebSocketException)
                {
                }
            }
        }
    }

    private async Task ReceiveLoopAsync(CancellationToken cancellationToken)
    {
        while (socket.State is WebSocketState.Open or WebSocketState.CloseSent)
        {
            var message = new Sequence<byte>(ArrayPool<byte>.Shared);
            var tooLarge = false;
            ValueWebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(message.GetMemory(4096), cancellationToken).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    message.Dispose();
                    return;
                }

                idle.Touch();
                message.Advance(result.Count);
                if (message.Length > limits.MaxRequestBytes)
                {
                    // Keep reading to the end of the oversized message, but keep none of it.
                    tooLarge = true;
                    message.Reset();
                }
            }
            while (!result.EndOfMessage);

            if (tooLarge)
            {
                message.Dispose();
                using var reply = new Sequence<byte>(ArrayPool<byte>.Shared);
                using (var writer = new Utf8JsonWriter(reply, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
                {
                    errors.Write(writer, null, RpcErrorCodes.InvalidRequest, $"message larger than {limits.MaxRequestBytes} bytes", Origin.Culture);
                }

                await SendAsync(reply, cancellationToken).ConfigureAwait(false);
                continue;
            }

            await inFlight.WaitAsync(cancellationToken).ConfigureAwait(false);
            _ = ProcessAsync(message, cancellationToken);
        }
    }

    private async Task ProcessAsync(Sequence<byte> message, CancellationToken cancellationToken)
    {
        using var reply = new Sequence<byte>(ArrayPool<byte>.Shared);
        try
        {
            if (await processor.ProcessAsync(message, Origin, reply, cancellationToken).ConfigureAwait(false))
            {
                await SendAsync(reply, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e)
        {
            logger.LogError(e, "WebSocket request failed outside the dispatcher");
        }
        finally
        {
            message.Dispose();
            inFlight.Release();
        }
    }

    /// <summary>Sends one whole message; dropped once the close frame went out.</summary>
    private async ValueTask SendAsync(Sequence<byte> message, CancellationToken cancellationToken)
    {
        await sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (closeSent || socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
            {
                return;
            }

            var remaining = message.Length;
            foreach (var segment in message.AsReadOnlySequence)
            {
                remaining -= segment.Length;
                await socket.SendAsync(segment, WebSocketMessageType.Text, remaining == 0, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is WebSocketException or IOException)
        {
            logger.LogDebug(e, "WebSocket send ended");
            await closing.CancelAsync().ConfigureAwait(false);
        }
        finally
        {
            sendLock.Release();
        }
    }

    private async Task AbortUnlessClosedAsync()
    {
        try
        {
            await Task.Delay(CloseHandshakeTimeout, clock, closing.Token).ConfigureAwait(false);
            socket.Abort();
        }
        catch (OperationCanceledException)
        {
        }
    }

    private sealed record AuthenticatedAs(string Token, Caller Caller);
}
