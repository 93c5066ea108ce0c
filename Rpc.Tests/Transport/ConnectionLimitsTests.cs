using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Rpc.Server.Transport;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Transport;

public sealed class ConnectionLimitsTests
{
    private static async Task<HttpStatusCode?> RefusedStatusAsync(Uri uri)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        try
        {
            await socket.ConnectAsync(uri, CancellationToken.None);
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
            return null;
        }
        catch (WebSocketException)
        {
            return socket.HttpStatusCode;
        }
    }

    [Test]
    public async Task WebSocket_PastPerAddressLimit_Refused429_UntilOneCloses()
    {
        await using var server = await RpcTestServer.StartAsync(new Dictionary<string, string?> { ["Connections:MaxWebSocketsPerAddress"] = "2" });
        var first = await WsClient.ConnectAsync(server.WebSocketUri);
        await using var second = await WsClient.ConnectAsync(server.WebSocketUri);
        Assert.That(await RefusedStatusAsync(server.WebSocketUri), Is.EqualTo(HttpStatusCode.TooManyRequests));
        Assert.That(server.Get<WebSocketAdmission>().Open, Is.EqualTo(2));

        await first.DisposeAsync();
        await Eventually.WaitUntilAsync(() => server.Get<WebSocketAdmission>().Open <= 1);

        await using var third = await WsClient.ConnectAsync(server.WebSocketUri);
        var reply = await third.CallAsync("""{"jsonrpc":"2.0","method":"users.check","params":["x"],"id":1}""");
        Assert.That(reply.GetProperty("result").GetBoolean(), Is.False);
    }

    [Test]
    public async Task WebSocket_UnauthenticatedAndSilent_ClosedWith4009_WhileAQuietBotStays()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await RpcTestServer.StartAsync(
            new Dictionary<string, string?> { ["Connections:AnonymousIdleSeconds"] = "30" },
            configureServices: s => s.AddSingleton<TimeProvider>(clock));
        var user = await server.NewUserAsync();
        await using var bot = await GatewayClient.IdentifyAsync(server, user.Token);
        await using var silent = await GatewayClient.ConnectAsync(server);
        await using var asking = await GatewayClient.ConnectAsync(server);

        clock.Advance(TimeSpan.FromSeconds(20));
        Assert.That((await asking.CallAsync("users.check", new { username = "someone" })).GetProperty("result").GetBoolean(), Is.False);
        clock.Advance(TimeSpan.FromSeconds(15));
        Assert.That(await silent.WaitForCloseAsync(TimeSpan.FromSeconds(10)), Is.EqualTo(4009), "35 s without a request");
        Assert.That((await asking.CallAsync("users.check", new { username = "someone" })).GetProperty("result").GetBoolean(), Is.False, "its last request was 15 s ago");

        clock.Advance(TimeSpan.FromHours(1));
        Assert.That(await asking.WaitForCloseAsync(TimeSpan.FromSeconds(10)), Is.EqualTo(4009));
        var self = await bot.CallAsync("users.self");
        Assert.That(self.GetProperty("result").GetProperty("id").GetString(), Is.EqualTo(user.Id), "an authenticated connection is never closed for being quiet");
    }

    [Test]
    public async Task WebSocket_PastTotalLimit_Refused503_WithJsonRpcError()
    {
        await using var server = await RpcTestServer.StartAsync(new Dictionary<string, string?> { ["Connections:MaxWebSockets"] = "1" });
        await using var first = await WsClient.ConnectAsync(server.WebSocketUri);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/rpc");
        request.Headers.Connection.Add("Upgrade");
        request.Headers.Upgrade.Add(new System.Net.Http.Headers.ProductHeaderValue("websocket"));
        request.Headers.Add("Sec-WebSocket-Version", "13");
        request.Headers.Add("Sec-WebSocket-Key", Convert.ToBase64String(new byte[16]));
        using var response = await server.Http.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        // Refused as every other /rpc refusal is: one small JSON body with its length and the JSON security headers.
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.That(response.Headers.TransferEncodingChunked, Is.Not.True);
        Assert.That(response.Content.Headers.ContentLength, Is.EqualTo(bytes.Length));
        Assert.That(response.Headers.GetValues("X-Content-Type-Options"), Is.EqualTo(new[] { "nosniff" }));
        var body = System.Text.Json.JsonDocument.Parse(bytes).RootElement;
        Assert.That(body.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32600));
        Assert.That(body.GetProperty("error").GetProperty("data").GetString(), Is.EqualTo("too many WebSocket connections on the server; retry later"));
    }

    [Test]
    public async Task Handshake_HeadersNotFinished_ConnectionDroppedAfterTimeout()
    {
        await using var server = await RpcTestServer.StartAsync(new Dictionary<string, string?> { ["Connections:HandshakeTimeoutSeconds"] = "1" });
        using var client = new TcpClient();
        await client.ConnectAsync(server.BaseUri.Host, server.BaseUri.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /rpc HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"));
        var started = DateTime.UtcNow;
        var buffer = new byte[1024];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var text = new StringBuilder();
        int read;
        while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0)
        {
            text.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        Assert.That(DateTime.UtcNow - started, Is.LessThan(TimeSpan.FromSeconds(10)));
        Assert.That(text.ToString(), Is.Empty.Or.StartWith("HTTP/1.1 408"));
    }

    [Test]
    public async Task Http_TooManyHeaders_Refused431()
    {
        await using var server = await RpcTestServer.StartAsync(new Dictionary<string, string?> { ["Connections:MaxRequestHeaderCount"] = "16" });
        using var request = new HttpRequestMessage(HttpMethod.Post, "/rpc")
        {
            Content = new StringContent("""{"jsonrpc":"2.0","method":"users.check","params":["x"],"id":1}""", Encoding.UTF8, "application/json"),
        };
        for (var i = 0; i < 20; i++)
        {
            request.Headers.Add("X-Filler-" + i, "x");
        }

        using var response = await server.Http.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.RequestHeaderFieldsTooLarge));
    }

    [Test]
    public async Task Http_RequestLineTooLong_Refused414()
    {
        var server = SharedServer.Instance;
        using var response = await server.Http.PostAsync("/rpc?" + new string('q', 9000), new StringContent("{}", Encoding.UTF8, "application/json"));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.RequestUriTooLong));
    }
}
