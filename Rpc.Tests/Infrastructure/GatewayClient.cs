using System.Net.WebSockets;
using System.Text.Json;

namespace Rpc.Tests.Infrastructure;

/// <summary>A WebSocket client that authenticates and then separates gateway events from replies.</summary>
public sealed class GatewayClient : IAsyncDisposable
{
    private readonly Queue<JsonElement> events = new();
    private readonly Dictionary<string, JsonElement> replies = [];
    private int nextId;

    private GatewayClient(WsClient ws) => Ws = ws;

    public WsClient Ws { get; }

    public JsonElement Ready { get; private set; }

    public string SessionId => Ready.GetProperty("d").GetProperty("session_id").GetString()!;

    /// <summary>Connects, identifies with <paramref name="token"/> and reads READY.</summary>
    public static Task<GatewayClient> IdentifyAsync(RpcTestServer server, string token) => IdentifyAsync(server.WebSocketUri, token);

    /// <summary>Connects to <paramref name="webSocketUri"/> (a server process, a proxy), identifies with <paramref name="token"/> and reads READY.</summary>
    public static async Task<GatewayClient> IdentifyAsync(Uri webSocketUri, string token)
    {
        var client = new GatewayClient(await WsClient.ConnectAsync(webSocketUri));
        var reply = await client.CallAsync("users.identify", new { token });
        Assert.That(reply.TryGetProperty("result", out _), Is.True, reply.ToString());
        client.Ready = await client.NextEventAsync();
        Assert.That(client.Ready.GetProperty("t").GetString(), Is.EqualTo("READY"));
        return client;
    }

    public static async Task<GatewayClient> ConnectAsync(RpcTestServer server) => new(await WsClient.ConnectAsync(server.WebSocketUri));

    public static async Task<GatewayClient> ConnectAsync(Uri webSocketUri) => new(await WsClient.ConnectAsync(webSocketUri));

    /// <summary>Sends a request and returns its reply, keeping any events that arrive meanwhile.</summary>
    public async Task<JsonElement> CallAsync(string method, object? parameters = null, string? auth = null)
    {
        var id = "c" + Interlocked.Increment(ref nextId);
        var envelope = new Dictionary<string, object?> { ["jsonrpc"] = "2.0", ["method"] = method, ["id"] = id };
        if (parameters is not null)
        {
            envelope["params"] = parameters;
        }

        if (auth is not null)
        {
            envelope["auth"] = auth;
        }

        await Ws.SendAsync(JsonSerializer.Serialize(envelope));
        while (!replies.ContainsKey(id))
        {
            if (!await PumpAsync(TimeSpan.FromSeconds(10)))
            {
                Assert.Fail($"no reply to {method}");
            }
        }

        var reply = replies[id];
        replies.Remove(id);
        return reply;
    }

    /// <summary>The next gateway event (params of the gateway.event notification).</summary>
    public async Task<JsonElement> NextEventAsync(TimeSpan? wait = null)
    {
        var deadline = DateTime.UtcNow + (wait ?? TimeSpan.FromSeconds(10));
        while (events.Count == 0)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !await PumpAsync(left))
            {
                Assert.Fail("no event arrived");
            }
        }

        return events.Dequeue();
    }

    /// <summary>The next event named <paramref name="name"/>, skipping others (presence updates, say).</summary>
    public async Task<JsonElement> NextEventAsync(string name, TimeSpan? wait = null)
    {
        while (true)
        {
            var e = await NextEventAsync(wait);
            if (e.GetProperty("t").GetString() == name)
            {
                return e;
            }
        }
    }

    /// <summary>Whether an event named <paramref name="name"/> arrives within <paramref name="wait"/>.</summary>
    public async Task<bool> HasEventAsync(string name, TimeSpan wait)
    {
        var deadline = DateTime.UtcNow + wait;
        while (true)
        {
            while (events.Count > 0)
            {
                if (events.Dequeue().GetProperty("t").GetString() == name)
                {
                    return true;
                }
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !await PumpAsync(left))
            {
                return false;
            }
        }
    }

    /// <summary>Whether an event arrives within <paramref name="wait"/>; it stays queued.</summary>
    public async Task<bool> HasEventAsync(TimeSpan wait)
    {
        if (events.Count > 0)
        {
            return true;
        }

        await PumpAsync(wait);
        return events.Count > 0;
    }

    /// <summary>Reads until the server closes; returns its close status.</summary>
    public async Task<int?> WaitForCloseAsync(TimeSpan wait)
    {
        var deadline = DateTime.UtcNow + wait;
        while (DateTime.UtcNow < deadline)
        {
            if (!await PumpAsync(deadline - DateTime.UtcNow) && Ws.Socket.CloseStatus is { } status)
            {
                return (int)status;
            }

            if (Ws.State is WebSocketState.Aborted or WebSocketState.Closed)
            {
                return (int?)Ws.Socket.CloseStatus;
            }
        }

        return null;
    }

    private async Task<bool> PumpAsync(TimeSpan wait)
    {
        var text = await Ws.ReceiveAsync(wait);
        if (text is null)
        {
            return false;
        }

        var message = JsonDocument.Parse(text).RootElement.Clone();
        if (message.ValueKind == JsonValueKind.Object && message.TryGetProperty("method", out var method) && method.GetString() == "gateway.event")
        {
            events.Enqueue(message.GetProperty("params"));
        }
        else if (message.ValueKind == JsonValueKind.Object && message.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String)
        {
            replies[id.GetString()!] = message;
        }

        return true;
    }

    public ValueTask DisposeAsync() => Ws.DisposeAsync();
}
