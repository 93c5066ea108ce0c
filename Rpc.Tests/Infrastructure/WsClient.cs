using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Rpc.Tests.Infrastructure;

/// <summary>A raw WebSocket client: sends text frames and reads whole reply messages.</summary>
public sealed class WsClient : IAsyncDisposable
{
    private readonly ClientWebSocket socket = new();

    public WebSocketState State => socket.State;

    public ClientWebSocket Socket => socket;

    /// <summary>Connects; <paramref name="invoker"/> picks the connection (a source address), <paramref name="origin"/> sends an Origin header.</summary>
    public static async Task<WsClient> ConnectAsync(Uri uri, string? language = null, HttpMessageInvoker? invoker = null, string? origin = null)
    {
        var client = new WsClient();
        if (language is not null)
        {
            client.socket.Options.SetRequestHeader("Accept-Language", language);
        }

        if (origin is not null)
        {
            client.socket.Options.SetRequestHeader("Origin", origin);
        }

        client.socket.Options.CollectHttpResponseDetails = true;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await client.socket.ConnectAsync(uri, invoker, timeout.Token);
        return client;
    }

    public Task SendAsync(string text) => SendAsync(Encoding.UTF8.GetBytes(text));

    public async Task SendAsync(byte[] bytes, WebSocketMessageType type = WebSocketMessageType.Text)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await socket.SendAsync(bytes, type, true, timeout.Token);
    }

    /// <summary>Reads the next whole message, or null when none arrives within <paramref name="wait"/>.</summary>
    public async Task<string?> ReceiveAsync(TimeSpan? wait = null)
    {
        using var timeout = new CancellationTokenSource(wait ?? TimeSpan.FromSeconds(10));
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, timeout.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return null;
                }

                message.Write(buffer, 0, result.Count);
                if (result.EndOfMessage)
                {
                    return Encoding.UTF8.GetString(message.ToArray());
                }
            }
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    public async Task<JsonElement> ReceiveJsonAsync(TimeSpan? wait = null)
    {
        var text = await ReceiveAsync(wait);
        Assert.That(text, Is.Not.Null, "no reply arrived");
        return JsonDocument.Parse(text!).RootElement.Clone();
    }

    /// <summary>Sends a request and reads the next message that is not a gateway event, which must be its reply.</summary>
    public async Task<JsonElement> CallAsync(string text)
    {
        await SendAsync(text);
        while (true)
        {
            var message = await ReceiveJsonAsync();
            if (!(message.ValueKind == JsonValueKind.Object && message.TryGetProperty("method", out var method) && method.GetString() == "gateway.event"))
            {
                return message;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (socket.State == WebSocketState.Open)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
            }
        }

        socket.Dispose();
    }
}
