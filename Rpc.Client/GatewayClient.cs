using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Rpc.Contracts.Gateway;
using Rpc.Contracts.Protocol;

namespace Rpc.Client;

/// <summary>
/// A gateway connection that follows methods.md's "Gateway guide": it identifies with a token, raises every
/// event once and in order, answers the server's pings (the WebSocket does) and sends its own, and when the
/// connection drops or the server restarts (1006, 1012, 1011, 1001, 4008) it reconnects after a jittered
/// exponential backoff and resumes, so no sequence number is skipped; it identifies again when the resume
/// is refused or the window has passed, and stops on 4004 (session revoked), 4005 (account deleted) and 4007
/// (resumed elsewhere). A resume goes to READY's <c>resume_gateway_url</c> when the server named one (a cluster
/// behind a load balancer); a resume that lands on another server of the cluster is refused (then 4010) and the
/// client identifies again on a new connection.
/// </summary>
public sealed class GatewayClient(GatewayClientOptions options)
{
    private const string IdentifyId = "identify";
    private const string ResumeId = "resume";
    private static readonly HashSet<int> StopCodes = [GatewayCloseCodes.SessionRevoked, GatewayCloseCodes.AccountDeleted, GatewayCloseCodes.ResumedElsewhere];

    private readonly Random random = new();
    private DateTimeOffset? droppedAt;
    private Uri? resumeUri;
    private int attempt;

    /// <summary>Raised for every event, once and in sequence order (replays of events already raised are skipped).</summary>
    public event Func<GatewayEvent, Task>? EventReceived;

    /// <summary>Raised when the client connects, identifies, resumes, loses its connection or stops.</summary>
    public event Action<GatewayStateChange>? StateChanged;

    /// <summary>The current gateway session, from READY; null before the first READY and after a refused resume.</summary>
    public string? SessionId { get; private set; }

    /// <summary>The highest sequence number received in the current session.</summary>
    public long LastSequence { get; private set; }

    /// <summary>Raises the payloads of the events named <paramref name="name"/> as <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">The event's payload type (see <see cref="GatewayEventPayloads"/>).</typeparam>
    /// <param name="name">The event name, such as <c>GUILD_MEMBER_ADD</c>.</param>
    /// <param name="handler">Called with each payload.</param>
    public void On<T>(string name, Func<T, Task> handler) =>
        EventReceived += e => e.Name == name ? handler(e.As<T>()) : Task.CompletedTask;

    /// <summary>
    /// Connects and keeps the session going until it must stop (4004, 4005, 4007, a refused token) or
    /// <paramref name="cancellationToken"/> is cancelled; then closes with 1000, which ends the session.
    /// </summary>
    /// <param name="cancellationToken">Stops the client.</param>
    public async Task<GatewayStop> RunAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return Stop(null, "cancelled");
            }

            StateChanged?.Invoke(new GatewayStateChange(GatewayTransition.Connecting));
            using var socket = new ClientWebSocket();
            socket.Options.KeepAliveInterval = options.KeepAliveInterval;
            socket.Options.KeepAliveTimeout = options.KeepAliveTimeout;
            int closeCode;
            try
            {
                await socket.ConnectAsync(SessionId is not null && resumeUri is not null ? resumeUri : options.WebSocketUri, cancellationToken).ConfigureAwait(false);
                var stop = await RunConnectionAsync(socket, cancellationToken).ConfigureAwait(false);
                if (stop is not null)
                {
                    return stop;
                }

                closeCode = (int?)socket.CloseStatus ?? 1006;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                await CloseQuietlyAsync(socket).ConfigureAwait(false);
                return Stop(null, "cancelled");
            }
            catch (Exception e) when (e is WebSocketException or IOException or HttpRequestException)
            {
                closeCode = 1006;
            }

            if (StopCodes.Contains(closeCode))
            {
                return Stop(closeCode, socket.CloseStatusDescription ?? "closed by the server");
            }

            droppedAt ??= options.Clock.GetUtcNow();
            var backoff = Backoff();
            attempt++;
            StateChanged?.Invoke(new GatewayStateChange(GatewayTransition.Disconnected, closeCode, backoff));
            try
            {
                await Task.Delay(backoff, options.Clock, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return Stop(null, "cancelled");
            }
        }
    }

    /// <summary>"Full jitter": a random wait between 0 and min(max, base × 2^attempt).</summary>
    private TimeSpan Backoff()
    {
        var ceiling = Math.Min(options.BackoffMax.TotalMilliseconds, options.BackoffBase.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 30)));
        return TimeSpan.FromMilliseconds(random.NextDouble() * ceiling);
    }

    private GatewayStop Stop(int? code, string reason)
    {
        StateChanged?.Invoke(new GatewayStateChange(GatewayTransition.Stopped, code));
        return new GatewayStop(code, reason);
    }

    /// <summary>Starts or resumes the session on <paramref name="socket"/> and reads it until it closes; a stop when the client must stop.</summary>
    private async Task<GatewayStop?> RunConnectionAsync(ClientWebSocket socket, CancellationToken cancellationToken)
    {
        var resumable = SessionId is not null && (droppedAt is null || options.Clock.GetUtcNow() - droppedAt < options.ResumeWindow);
        if (resumable)
        {
            await SendAsync(socket, GatewayResume(), cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await IdentifyAsync(socket, cancellationToken).ConfigureAwait(false);
        }

        var buffer = new ArrayBufferWriter<byte>(16 * 1024);
        while (true)
        {
            buffer.ResetWrittenCount();
            ValueWebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer.GetMemory(8 * 1024), cancellationToken).ConfigureAwait(false);
                buffer.Advance(result.Count);
            }
            while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

            if (result.MessageType == WebSocketMessageType.Close)
            {
                // Echo the server's own code: answering a 1012 or 4008 with 1000 must not read as ending the session.
                await CloseQuietlyAsync(socket, socket.CloseStatus ?? WebSocketCloseStatus.NormalClosure).ConfigureAwait(false);
                return null;
            }

            using var message = JsonDocument.Parse(buffer.WrittenMemory);
            var root = message.RootElement;
            if (root.TryGetProperty("method", out var method) && method.ValueEquals(GatewayEvents.Method))
            {
                await OnEventAsync(root.GetProperty("params")).ConfigureAwait(false);
                continue;
            }

            if (!root.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String)
            {
                continue;
            }

            var data = root.TryGetProperty("error", out var error) && error.TryGetProperty("data", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
            if (error.ValueKind == JsonValueKind.Undefined)
            {
                continue;
            }

            if (id.ValueEquals(IdentifyId) || data is ErrorData.ResumeTokenRevoked or ErrorData.InvalidToken)
            {
                await CloseQuietlyAsync(socket).ConfigureAwait(false);
                return Stop(null, $"the token was refused: {data}");
            }

            if (data is ErrorData.ResumeOtherServer)
            {
                // Another server holds the session: the server closes this connection (4010); identify on the next.
                StateChanged?.Invoke(new GatewayStateChange(GatewayTransition.ResumeRefused));
                SessionId = null;
                LastSequence = 0;
                resumeUri = null;
                continue;
            }

            if (data is ErrorData.ResumeUnknownSession or ErrorData.ResumeEventsGone or ErrorData.ResumeSeqAhead)
            {
                // The connection has no session after a refusal: start a new one on it.
                StateChanged?.Invoke(new GatewayStateChange(GatewayTransition.ResumeRefused));
                SessionId = null;
                LastSequence = 0;
                await IdentifyAsync(socket, cancellationToken).ConfigureAwait(false);
                continue;
            }

            // Anything else (the connection already has a session, a rate limit): a new connection after a backoff.
            await CloseQuietlyAsync(socket, WebSocketCloseStatus.EndpointUnavailable).ConfigureAwait(false);
            return null;
        }
    }

    private async Task OnEventAsync(JsonElement parameters)
    {
        var e = new GatewayEvent(parameters.GetProperty("t").GetString()!, parameters.GetProperty("s").GetInt64(), parameters.GetProperty("d").Clone());
        if (e.Name == GatewayEvents.Ready)
        {
            SessionId = e.Data.GetProperty("session_id").GetString();
            resumeUri = e.Data.TryGetProperty("resume_gateway_url", out var url) && url.ValueKind == JsonValueKind.String ? new Uri(url.GetString()!) : null;
            LastSequence = 0;
        }
        else if (e.Sequence <= LastSequence)
        {
            return; // a replay of an event already raised
        }

        LastSequence = e.Sequence;
        if (e.Name is GatewayEvents.Ready or GatewayEvents.Resumed)
        {
            attempt = 0;
            droppedAt = null;
            StateChanged?.Invoke(new GatewayStateChange(e.Name == GatewayEvents.Ready ? GatewayTransition.Identified : GatewayTransition.Resumed));
        }

        if (EventReceived is { } handlers)
        {
            foreach (var handler in handlers.GetInvocationList().Cast<Func<GatewayEvent, Task>>())
            {
                await handler(e).ConfigureAwait(false);
            }
        }
    }

    private Task IdentifyAsync(ClientWebSocket socket, CancellationToken cancellationToken) =>
        SendAsync(socket, new { jsonrpc = "2.0", method = "users.identify", @params = new { token = options.Token }, id = IdentifyId }, cancellationToken);

    private object GatewayResume() =>
        new { jsonrpc = "2.0", method = "gateway.resume", auth = options.Token, @params = new { session_id = SessionId, seq = LastSequence }, id = ResumeId };

    private static Task SendAsync(ClientWebSocket socket, object message, CancellationToken cancellationToken) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(message)), WebSocketMessageType.Text, true, cancellationToken);

    private static async Task CloseQuietlyAsync(ClientWebSocket socket, WebSocketCloseStatus status = WebSocketCloseStatus.NormalClosure)
    {
        try
        {
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await socket.CloseOutputAsync(status, null, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            // The connection is gone already; nothing to close.
        }
    }
}
