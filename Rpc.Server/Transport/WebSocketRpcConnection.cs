using System.Buffers;
using System.Net.WebSockets;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Threading.Channels;
using Nerdbank.Streams;
using Rpc.Contracts.Gateway;
using Rpc.Contracts.Protocol;
using Rpc.Server.Dispatch;
using Rpc.Server.Gateway;
using Rpc.Server.Operations;
using Rpc.Server.Security;
using Rpc.Server.Errors;

namespace Rpc.Server.Transport;

/// <summary>
/// One WebSocket at <c>/rpc</c>. Each message is a request or a batch and gets one reply message
/// (none for notifications). Requests run concurrently up to a per-connection bound and are answered
/// as they finish; a single writer loop owns the socket's send side and also carries the gateway's
/// events. A bad frame is answered with an error and never ends the connection; a connection that
/// stays unauthenticated and silent past its idle limit is closed. What waits to be sent is bounded in
/// frames and in bytes, and each frame must go out within the send timeout: a client that does not read
/// is closed with 4008 (slow consumer) instead of holding memory. A close jumps ahead of queued events.
/// The bytes of messages in flight and of unwritten replies are also counted for the client's address
/// (<see cref="AddressLoad"/>), whose bounds hold however many connections it opens.
/// </summary>
public sealed class WebSocketRpcConnection : IRpcConnection, IGatewayConnection, IGatewayControl
{
    private const string SlowConsumerReason = "slow consumer: outgoing queue overflowed";
    private TimeSpan closeGrace = TimeSpan.FromSeconds(5);
    private readonly WebSocket socket;
    private readonly RpcProcessor processor;
    private readonly RpcErrorWriter errors;
    private readonly GatewayHub gateway;
    private readonly RpcLimitsOptions limits;
    private readonly ILogger logger;
    private readonly TimeSpan anonymousIdle;
    private readonly TimeProvider time;
    private readonly TimeSpan sendTimeout;
    private long lastMessageAt;
    private readonly Channel<Outgoing> outbox = Channel.CreateUnbounded<Outgoing>(new UnboundedChannelOptions { SingleReader = true });
    private readonly int maxQueuedFrames;
    private readonly long maxQueuedBytes;
    private readonly CancellationTokenSource sendDeadline;
    // The upgraded connection under the socket when it coalesces writes (null: every frame is written alone).
    private readonly CoalescingWriteStream? coalescing;
    private int queuedFrames;
    private long queuedBytes;
    private readonly SemaphoreSlim inFlight;
    private readonly SemaphoreSlim drained = new(0, 1);
    private readonly ReplyBudget replyBudget;
    private readonly AddressLoad addressLoad;
    private readonly AddressPacer pacer;
    private readonly string addressKey;
    private int running;
    private long inFlightBytes;
    private int closeRequested;
    private int closeCode = (int)WebSocketCloseStatus.NormalClosure;
    private string? closeReason;
    private volatile bool discardQueued;
    private volatile AuthenticatedAs? authenticated;
    private int identified;

    public WebSocketRpcConnection(WebSocket socket, HttpContext context, RpcProcessor processor, RpcErrorWriter errors, GatewayHub gateway, RpcLimitsOptions limits, GatewayOptions gatewayOptions, ReplyBudget replyBudget, AddressLoad addressLoad, AddressPacer pacer, TimeSpan anonymousIdle, TimeProvider time, ILogger logger)
    {
        this.replyBudget = replyBudget;
        this.addressLoad = addressLoad;
        this.pacer = pacer;
        this.socket = socket;
        this.processor = processor;
        this.errors = errors;
        this.gateway = gateway;
        this.limits = limits;
        this.logger = logger;
        this.anonymousIdle = anonymousIdle;
        this.time = time;
        lastMessageAt = time.GetTimestamp();
        Origin = RequestOriginFactory.From(context, this);
        addressKey = Origin.AddressKey;
        maxQueuedFrames = gatewayOptions.MaxQueuedFrames;
        maxQueuedBytes = gatewayOptions.MaxQueuedBytes;
        sendTimeout = gatewayOptions.SendTimeout;
        // Real time, not the injected clock: a frame's deadline is the network's, and a test that moves a fake clock on
        // between a reply reaching the client and this writer disarming its deadline aborted a healthy connection.
        sendDeadline = new CancellationTokenSource();
        coalescing = context.Features.Get<CoalescingUpgradeFeature>()?.Stream;
        inFlight = new SemaphoreSlim(limits.MaxInFlightPerConnection);
    }

    public RequestOrigin Origin { get; }

    public string? Token => authenticated?.Token;

    public bool IsIdentified => Volatile.Read(ref identified) == 1;

    public async Task<bool> TryAuthenticateAsync(string token, Caller caller, CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref identified, 1, 0) != 0)
        {
            return false;
        }

        try
        {
            var session = await gateway.StartAsync(this, token, caller, cancellationToken).ConfigureAwait(false)
                ?? throw ServiceException.Refused(ErrorData.InvalidToken);
            authenticated = new AuthenticatedAs(token, caller, session);
            return true;
        }
        catch
        {
            Volatile.Write(ref identified, 0);
            throw;
        }
    }

    public ResumeAttempt Resume(GatewaySession session, long lastSeen)
    {
        if (Interlocked.CompareExchange(ref identified, 1, 0) != 0)
        {
            return new ResumeAttempt(null, 0);
        }

        // Bound first: the replayed events and RESUMED are queued before the reply, and requests after
        // it act with the session's own token, whichever token the resume call carried.
        authenticated = new AuthenticatedAs(session.Token, session.Caller, session);
        var (outcome, replayed) = gateway.Resume(session, lastSeen, this);
        if (outcome != ResumeOutcome.Resumed)
        {
            authenticated = null;
            Volatile.Write(ref identified, 0);
            if (outcome == ResumeOutcome.Overflowed)
            {
                Close(GatewayCloseCodes.SlowConsumer, "slow consumer: outgoing queue overflowed", discardQueued: true);
            }
        }

        return new ResumeAttempt(outcome, replayed);
    }

    public GatewaySession? Session => authenticated?.Session;

    public bool SetStaffEvents(bool enabled)
    {
        if (authenticated?.Session is not { } session)
        {
            return false;
        }

        session.StaffEvents = enabled;
        return enabled;
    }

    public bool TrySend(EventFrame frame, long seq) => TryEnqueue(new Outgoing(null, frame, seq, false), frame.MaxLength);

    public void Close(int code, string reason, bool discardQueued)
    {
        if (Interlocked.Exchange(ref closeRequested, 1) == 1)
        {
            return;
        }

        closeCode = code;
        closeReason = reason;
        this.discardQueued = discardQueued;
        _ = CloseWhenIdleAsync();
    }

    /// <summary>Closes for a server shutdown: running requests get up to <paramref name="grace"/> to answer first.</summary>
    public void CloseForShutdown(int code, string reason, TimeSpan grace)
    {
        closeGrace = grace;
        Close(code, reason, discardQueued: false);
    }

    /// <summary>
    /// Runs the connection until it ends. With <paramref name="identifyAs"/> (a valid bearer token on the
    /// upgrade) the gateway session starts first, so READY is the first frame.
    /// </summary>
    public async Task RunAsync((string Token, Caller Caller)? identifyAs, CancellationToken aborted)
    {
        var sender = SendLoopAsync();
        if (identifyAs is { } identity)
        {
            try
            {
                await TryAuthenticateAsync(identity.Token, identity.Caller, aborted).ConfigureAwait(false);
            }
            catch (ServiceException)
            {
                Close(GatewayCloseCodes.SessionRevoked, "session revoked", discardQueued: false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Gateway session for an upgrade with a bearer token failed to start");
                Close((int)WebSocketCloseStatus.InternalServerError, "the gateway session could not start; reconnect later", discardQueued: false);
            }
        }

        using var ended = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        var idleWatch = CloseWhenAnonymousAndIdleAsync(ended.Token);
        try
        {
            await ReceiveLoopAsync(aborted).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            logger.LogDebug(e, "WebSocket receive ended");
        }
        finally
        {
            await ended.CancelAsync().ConfigureAwait(false);
            await idleWatch.ConfigureAwait(false);
            if (authenticated?.Session is { } session)
            {
                // A close the client started with 1000 or 1001 ends its session (as Discord's gateway does); any other close or a drop keeps it resumable.
                if (Volatile.Read(ref closeRequested) == 0 && socket.CloseStatus is WebSocketCloseStatus.NormalClosure or WebSocketCloseStatus.EndpointUnavailable)
                {
                    gateway.ClosedByClient(session, this);
                }
                else
                {
                    gateway.Disconnected(session, this);
                }
            }

            // Let the requests still running finish and queue their replies before the writer stops.
            for (var i = 0; i < limits.MaxInFlightPerConnection; i++)
            {
                await inFlight.WaitAsync(CancellationToken.None).ConfigureAwait(false);
            }

            outbox.Writer.TryComplete();
            await sender.ConfigureAwait(false);
            sendDeadline.Dispose();
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                try
                {
                    await socket.CloseOutputAsync((WebSocketCloseStatus)closeCode, closeReason, CancellationToken.None).ConfigureAwait(false);
                }
                catch (WebSocketException)
                {
                }
            }
        }
    }

    private async Task CloseWhenIdleAsync()
    {
        // The request that caused the close (a logout) is still running: its reply goes out first.
        // A slow consumer is closed at once: the send loop sees discardQueued before its next frame.
        var deadline = DateTime.UtcNow + closeGrace;
        while (Volatile.Read(ref running) > 0 && DateTime.UtcNow < deadline && !discardQueued)
        {
            await Task.Delay(5).ConfigureAwait(false);
        }

        // The marker always fits (the queue's bounds are counted, not enforced by the channel); queued
        // events are skipped on the way to it, and a socket that cannot even take the close frame is aborted below.
        outbox.Writer.TryWrite(new Outgoing(null, null, 0, true));
        outbox.Writer.TryComplete();
        await Task.Delay(closeGrace).ConfigureAwait(false);
        if (socket.State is not (WebSocketState.Closed or WebSocketState.Aborted))
        {
            socket.Abort();
        }
    }

    /// <summary>
    /// Closes the connection with 4009 once it has gone <see cref="anonymousIdle"/> without authenticating,
    /// sending a request or running one; an authenticated connection is never closed for being quiet.
    /// </summary>
    private async Task CloseWhenAnonymousAndIdleAsync(CancellationToken ended)
    {
        try
        {
            while (authenticated is null)
            {
                var left = anonymousIdle - time.GetElapsedTime(Volatile.Read(ref lastMessageAt));
                if (left <= TimeSpan.Zero && Volatile.Read(ref running) == 0)
                {
                    Close(GatewayCloseCodes.IdleTimeout, $"no authentication and no request for {anonymousIdle.TotalSeconds:0} s", discardQueued: false);
                    return;
                }

                // Past the limit with a request still running: look again shortly after it ends.
                await Task.Delay(left > TimeSpan.Zero ? left : TimeSpan.FromSeconds(1), time, ended).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task ReceiveLoopAsync(CancellationToken cancellationToken)
    {
        // Read no further while the messages being processed hold the connection's byte budget: a client sending
        // large messages faster than they are processed waits in TCP instead of in the server's memory.
        // After our close frame (CloseSent) the client's messages are read and dropped until its own close
        // frame, so a client still sending is not reset and can still read the close code.
        while (socket.State is WebSocketState.Open or WebSocketState.CloseSent)
        {
            while (Volatile.Read(ref inFlightBytes) >= limits.MaxInFlightBytesPerConnection)
            {
                await drained.WaitAsync(cancellationToken).ConfigureAwait(false);
            }

            var message = new Sequence<byte>(ArrayPool<byte>.Shared);
            var tooLarge = false;
            long reserved = 0;
            ValueWebSocketReceiveResult result;
            try
            {
                do
                {
                    result = await socket.ReceiveAsync(message.GetMemory(4096), cancellationToken).ConfigureAwait(false);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        message.Dispose();
                        return;
                    }

                    message.Advance(result.Count);
                    if (!result.EndOfMessage && reserved == 0)
                    {
                        // Longer than one read: wait for room for the largest message among the address's messages in flight.
                        if (!await ReserveRoomAsync(cancellationToken).ConfigureAwait(false))
                        {
                            message.Dispose();
                            return;
                        }

                        reserved = limits.MaxRequestBytes;
                    }

                    if (message.Length > limits.MaxRequestBytes)
                    {
                        // Keep reading to the end of the oversized message, but keep none of it.
                        tooLarge = true;
                        message.Reset();
                    }
                }
                while (!result.EndOfMessage);
            }
            catch
            {
                addressLoad.Release(reserved);
                throw;
            }

            // From here the message's own length is what the address holds, until it is processed.
            addressLoad.Release(reserved - message.Length);
            Volatile.Write(ref lastMessageAt, time.GetTimestamp());
            if (Volatile.Read(ref closeRequested) == 1)
            {
                addressLoad.Release(message.Length);
                message.Dispose();
                continue;
            }

            if (tooLarge)
            {
                message.Dispose();
                EnqueueError($"message larger than {limits.MaxRequestBytes} bytes");
                continue;
            }

            (bool Accepted, int RetryAfterSeconds) turn;
            try
            {
                turn = await pacer.WaitTurnAsync(addressKey, message.Length, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                addressLoad.Release(message.Length);
                message.Dispose();
                throw;
            }

            if (!turn.Accepted)
            {
                addressLoad.Release(message.Length);
                message.Dispose();
                Close(GatewayCloseCodes.RateLimited, ErrorData.AddressSendsTooMuch(turn.RetryAfterSeconds), discardQueued: false);
                continue;
            }

            try
            {
                await inFlight.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                addressLoad.Release(message.Length);
                message.Dispose();
                throw;
            }

            Interlocked.Increment(ref running);
            Interlocked.Add(ref inFlightBytes, message.Length);
            _ = ProcessAsync(message, cancellationToken);
        }
    }

    /// <summary>
    /// Waits for room among the address's messages in flight, as long as a message may wait for its pace; past that
    /// the connection is closed with 4029, since an address whose other connections keep the room full would
    /// otherwise hold this one open for as long as it floods.
    /// </summary>
    private async Task<bool> ReserveRoomAsync(CancellationToken cancellationToken)
    {
        if (pacer.MaxWait is not { } maxWait)
        {
            await addressLoad.ReserveAsync(limits.MaxRequestBytes, cancellationToken).ConfigureAwait(false);
            return true;
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(maxWait);
        try
        {
            await addressLoad.ReserveAsync(limits.MaxRequestBytes, deadline.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            ServerMetrics.RateLimited("address_pace");
            Close(GatewayCloseCodes.RateLimited, ErrorData.AddressSendsTooMuch((int)Math.Ceiling(maxWait.TotalSeconds)), discardQueued: false);
            return false;
        }
    }

    private async Task ProcessAsync(Sequence<byte> message, CancellationToken cancellationToken)
    {
        var reply = new Sequence<byte>(ArrayPool<byte>.Shared);
        var large = false;
        try
        {
            if (message.Length > limits.LargeMessageBytes)
            {
                await addressLoad.EnterLargeAsync(cancellationToken).ConfigureAwait(false);
                large = true;
            }

            if (await processor.ProcessAsync(message, Origin, reply, cancellationToken).ConfigureAwait(false))
            {
                EnqueueReply(reply);
                reply = null;
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
            if (large)
            {
                addressLoad.LeaveLarge();
            }

            reply?.Dispose();
            Interlocked.Add(ref inFlightBytes, -message.Length);
            addressLoad.Release(message.Length);
            if (drained.CurrentCount == 0)
            {
                try
                {
                    drained.Release();
                }
                catch (SemaphoreFullException)
                {
                }
            }

            message.Dispose();
            Interlocked.Decrement(ref running);
            inFlight.Release();
        }
    }

    private void EnqueueError(string data)
    {
        var reply = new Sequence<byte>(ArrayPool<byte>.Shared);
        errors.WriteStandalone(reply, RpcErrorCodes.InvalidRequest, data, Origin.Culture);

        EnqueueReply(reply);
    }

    /// <summary>Queues a reply; a client whose queue is full is closed as a slow consumer and the reply dropped.</summary>
    private void EnqueueReply(Sequence<byte> reply)
    {
        if (TryEnqueue(new Outgoing(reply, null, 0, false), reply.Length))
        {
            return;
        }

        reply.Dispose();
        if (Volatile.Read(ref closeRequested) == 0)
        {
            Close(GatewayCloseCodes.SlowConsumer, SlowConsumerReason, discardQueued: true);
        }
    }

    /// <summary>
    /// Queues <paramref name="item"/> of <paramref name="size"/> bytes unless the queue would pass its bounds, or it
    /// is a reply while this connection already has something queued and the replies queued on all connections
    /// together pass theirs (<see cref="ReplyBudget"/>); one frame larger than the byte bound still goes when nothing
    /// else waits. Once a close is requested no event is queued, and no reply either when the close drops what is
    /// queued (a slow consumer).
    /// </summary>
    private bool TryEnqueue(Outgoing item, long size)
    {
        if (discardQueued || (item.Event is not null && Volatile.Read(ref closeRequested) == 1))
        {
            return false;
        }

        if (item.Reply is not null && !addressLoad.TryHoldReply(size))
        {
            return false;
        }

        var frames = Interlocked.Increment(ref queuedFrames);
        var bytes = Interlocked.Add(ref queuedBytes, size);
        var replies = item.Reply is null ? 0 : replyBudget.Add(size);
        if (frames > maxQueuedFrames || (bytes > maxQueuedBytes && bytes != size) || (replies > replyBudget.Limit && bytes != size) || !outbox.Writer.TryWrite(item))
        {
            Dequeued(item);
            Written(item);
            return false;
        }

        return true;
    }

    /// <summary>A reply leaves its address's count once written (or dropped), not when the writer takes it: a send can wait for the send timeout.</summary>
    private void Written(Outgoing item)
    {
        if (item.Reply is not null)
        {
            addressLoad.ReplyWritten(item.Size);
        }
    }

    private void Dequeued(Outgoing item)
    {
        Interlocked.Decrement(ref queuedFrames);
        Interlocked.Add(ref queuedBytes, -item.Size);
        if (item.Reply is not null)
        {
            replyBudget.Add(-item.Size);
        }
    }

    private async Task SendLoopAsync()
    {
        try
        {
            await foreach (var item in outbox.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            {
                using (item.Reply)
                {
                    try
                    {
                        Dequeued(item);
                        if (item.IsClose || discardQueued)
                        {
                            sendDeadline.CancelAfter(sendTimeout);
                            if (coalescing is not null)
                            {
                                await coalescing.UncorkAsync(sendDeadline.Token).ConfigureAwait(false);
                            }

                            await socket.CloseOutputAsync((WebSocketCloseStatus)closeCode, closeReason, sendDeadline.Token).ConfigureAwait(false);
                            break;
                        }

                        // A close is on its way (logout, revocation): the events queued before it are not sent.
                        if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived
                            && !(item.Event is not null && Volatile.Read(ref closeRequested) == 1))
                        {
                            await SendAsync(item).ConfigureAwait(false);
                        }
                    }
                    finally
                    {
                        Written(item);
                    }
                }

                // The frames kept while more were queued go out in one write once nothing else waits.
                if (coalescing is not null && !outbox.Reader.TryPeek(out _))
                {
                    sendDeadline.CancelAfter(sendTimeout);
                    await coalescing.UncorkAsync(sendDeadline.Token).ConfigureAwait(false);
                    sendDeadline.CancelAfter(Timeout.InfiniteTimeSpan);
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            if (sendDeadline.IsCancellationRequested)
            {
                logger.LogInformation("WebSocket closed as a slow consumer: a frame did not go out within {Timeout}", sendTimeout);
                closeCode = GatewayCloseCodes.SlowConsumer;
                closeReason = SlowConsumerReason;
            }
            else
            {
                logger.LogDebug(e, "WebSocket send ended");
            }

            socket.Abort();
        }

        while (outbox.Reader.TryRead(out var left))
        {
            Dequeued(left);
            Written(left);
            left.Reply?.Dispose();
        }
    }

    /// <summary>
    /// Sends one reply or event; a client that does not take it within the send timeout gets its socket aborted.
    /// With a coalescing connection the frame waits in its buffer until the queue is empty (see the send loop).
    /// </summary>
    private async ValueTask SendAsync(Outgoing item)
    {
        sendDeadline.CancelAfter(sendTimeout);
        coalescing?.Cork();
        if (item.Event is { } frame)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(frame.MaxLength);
            try
            {
                var length = frame.Write(item.Seq, buffer);
                await socket.SendAsync(buffer.AsMemory(0, length), WebSocketMessageType.Text, true, sendDeadline.Token).ConfigureAwait(false);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        else
        {
            var remaining = item.Reply!.Length;
            foreach (var segment in item.Reply.AsReadOnlySequence)
            {
                remaining -= segment.Length;
                await socket.SendAsync(segment, WebSocketMessageType.Text, remaining == 0, sendDeadline.Token).ConfigureAwait(false);
            }
        }

        sendDeadline.CancelAfter(Timeout.InfiniteTimeSpan);
    }

    /// <summary>A reply, an event with its sequence number, or the close marker.</summary>
    private readonly record struct Outgoing(Sequence<byte>? Reply, EventFrame? Event, long Seq, bool IsClose)
    {
        public long Size => Reply?.Length ?? Event?.MaxLength ?? 0;
    }

    private sealed record AuthenticatedAs(string Token, Caller Caller, GatewaySession? Session);
}
