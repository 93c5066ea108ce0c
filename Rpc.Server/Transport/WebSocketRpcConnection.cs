using System.Buffers;
using System.Net.WebSockets;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Threading.Channels;
using Nerdbank.Streams;
using Rpc.Contracts.Protocol;
using Rpc.Server.Dispatch;
using Rpc.Server.Security;

namespace Rpc.Server.Transport;

/// <summary>
/// One WebSocket at <c>/rpc</c>. Each message is a request or a batch and gets one reply message
/// (none for notifications). Requests run concurrently up to a per-connection bound and are answered
/// as they finish; a single writer loop owns the socket's send side. A bad frame is answered with an
/// error and never ends the connection.
/// </summary>
public sealed class WebSocketRpcConnection : IRpcConnection
{
    private readonly WebSocket socket;
    private readonly RpcProcessor processor;
    private readonly RpcErrorWriter errors;
    private readonly RpcLimitsOptions limits;
    private readonly ILogger logger;
    private readonly Channel<Sequence<byte>> outbox;
    private readonly SemaphoreSlim inFlight;
    private readonly CancellationTokenSource closing = new();
    private readonly ConnectionIdleWatch idle;
    private readonly TimeProvider clock;
    private volatile AuthenticatedAs? authenticated;
    private (WebSocketCloseStatus Status, string Reason)? closeRequested;

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
        outbox = Channel.CreateBounded<Sequence<byte>>(new BoundedChannelOptions(limits.MaxInFlightPerConnection * 2) { SingleReader = true });
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
    /// Closes the connection from the server side with <paramref name="status"/>: replies already queued
    /// are sent first, then the close frame; a client that does not answer the close within 5 s is cut off.
    /// </summary>
    public Task CloseAsync(WebSocketCloseStatus status, string reason)
    {
        closeRequested ??= (status, reason);
        outbox.Writer.TryComplete();
        return Task.CompletedTask;
    }

    public async Task RunAsync(CancellationToken aborted)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(aborted, closing.Token);
        var sender = SendLoopAsync(linked.Token);
        var watch = idle.RunAsync(CloseAsync, linked.Token);
        try
        {
            await ReceiveLoopAsync(linked.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ChannelClosedException)
        {
            logger.LogDebug(e, "WebSocket receive ended");
        }
        finally
        {
            // Let the requests still running finish and queue their replies before the writer stops.
            for (var i = 0; i < limits.MaxInFlightPerConnection; i++)
            {
                await inFlight.WaitAsync(CancellationToken.None).ConfigureAwait(false);
            }

            outbox.Writer.TryComplete();
            await sender.ConfigureAwait(false);
            await closing.CancelAsync().ConfigureAwait(false);
            await watch.ConfigureAwait(false);
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
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
        while (socket.State == WebSocketState.Open)
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
                await EnqueueErrorAsync($"message larger than {limits.MaxRequestBytes} bytes", cancellationToken).ConfigureAwait(false);
                continue;
            }

            await inFlight.WaitAsync(cancellationToken).ConfigureAwait(false);
            _ = ProcessAsync(message, cancellationToken);
        }
    }

    private async Task ProcessAsync(Sequence<byte> message, CancellationToken cancellationToken)
    {
        var reply = new Sequence<byte>(ArrayPool<byte>.Shared);
        try
        {
            if (await processor.ProcessAsync(message, Origin, reply, cancellationToken).ConfigureAwait(false))
            {
                await outbox.Writer.WriteAsync(reply, cancellationToken).ConfigureAwait(false);
                reply = null;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
        {
        }
        catch (Exception e)
        {
            logger.LogError(e, "WebSocket request failed outside the dispatcher");
        }
        finally
        {
            reply?.Dispose();
            message.Dispose();
            inFlight.Release();
        }
    }

    private async Task EnqueueErrorAsync(string data, CancellationToken cancellationToken)
    {
        var reply = new Sequence<byte>(ArrayPool<byte>.Shared);
        using (var writer = new Utf8JsonWriter(reply, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            errors.Write(writer, null, RpcErrorCodes.InvalidRequest, data, Origin.Culture);
        }

        await outbox.Writer.WriteAsync(reply, cancellationToken).ConfigureAwait(false);
    }

    private async Task SendLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var reply in outbox.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            {
                using (reply)
                {
                    if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
                    {
                        continue;
                    }

                    var remaining = reply.Length;
                    foreach (var segment in reply.AsReadOnlySequence)
                    {
                        remaining -= segment.Length;
                        await socket.SendAsync(segment, WebSocketMessageType.Text, remaining == 0, cancellationToken).ConfigureAwait(false);
                    }
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            logger.LogDebug(e, "WebSocket send ended");
            closing.Cancel();
            return;
        }

        if (closeRequested is { } close && socket.State == WebSocketState.Open)
        {
            // The receive loop ends when the client answers the close; one that never does is aborted.
            try
            {
                await socket.CloseOutputAsync(close.Status, close.Reason, CancellationToken.None).ConfigureAwait(false);
            }
            catch (WebSocketException)
            {
            }

            _ = AbortUnlessClosedAsync();
        }
    }

    private async Task AbortUnlessClosedAsync()
    {
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(5), clock, closing.Token).ConfigureAwait(false);
            socket.Abort();
        }
        catch (OperationCanceledException)
        {
        }
    }

    private sealed record AuthenticatedAs(string Token, Caller Caller);
}
