using System.Text.Json;

namespace Rpc.Tests.Infrastructure;

/// <summary>The two ways to reach the server, so one test proves a behaviour on both.</summary>
public enum TransportKind
{
    Http,
    WebSocket,
}

/// <summary>Sends raw request text over one transport and returns the raw reply, or null when there is none.</summary>
public sealed class RpcTransportClient : IAsyncDisposable
{
    private readonly RpcTestServer server;
    private readonly TransportKind transport;
    private WsClient? ws;

    private RpcTransportClient(RpcTestServer server, TransportKind transport)
    {
        this.server = server;
        this.transport = transport;
    }

    public static async Task<RpcTransportClient> ConnectAsync(RpcTestServer server, TransportKind transport, string? language = null)
    {
        var client = new RpcTransportClient(server, transport) { Language = language };
        if (transport == TransportKind.WebSocket)
        {
            client.ws = await WsClient.ConnectAsync(server.WebSocketUri, language);
        }

        return client;
    }

    public string? Language { get; private init; }

    /// <summary>Sends <paramref name="body"/>; returns the reply text, or null when the server sent none.</summary>
    public async Task<string?> SendAsync(string body)
    {
        if (transport == TransportKind.Http)
        {
            using var response = await server.PostAsync(body, language: Language);
            if (response.StatusCode == System.Net.HttpStatusCode.NoContent)
            {
                return null;
            }

            var text = await response.Content.ReadAsStringAsync();
            Assert.That(response.StatusCode, Is.EqualTo(System.Net.HttpStatusCode.OK), text);
            return text;
        }

        await ws!.SendAsync(body);

        // A probe with a unique id tells "no reply" from "slow reply": the reply to the body, if any, comes first
        // or, with requests answered as they finish, in either order.
        var probeId = "probe-" + Guid.NewGuid().ToString("N");
        await ws.SendAsync($$"""{"jsonrpc":"2.0","method":"users.check","params":["x"],"id":"{{probeId}}"}""");
        string? reply = null;
        var sawProbe = false;
        while (!sawProbe || reply is null)
        {
            var text = await ws.ReceiveAsync(sawProbe ? TimeSpan.FromMilliseconds(300) : TimeSpan.FromSeconds(10));
            if (text is null)
            {
                Assert.That(sawProbe, Is.True, "the connection stopped answering");
                break;
            }

            if (text.Contains(probeId, StringComparison.Ordinal) && !text.StartsWith('['))
            {
                sawProbe = true;
            }
            else
            {
                reply = text;
            }
        }

        return reply;
    }

    public async Task<JsonElement> SendJsonAsync(string body)
    {
        var text = await SendAsync(body);
        Assert.That(text, Is.Not.Null, "expected a reply");
        return JsonDocument.Parse(text!).RootElement.Clone();
    }

    public async ValueTask DisposeAsync()
    {
        if (ws is not null)
        {
            await ws.DisposeAsync();
        }
    }
}
