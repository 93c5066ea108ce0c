using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Transport;

/// <summary>
/// Rpc:PacedBytesPerSecondPerAddress: what one client address sends is paced over HTTP and WebSocket; past its burst a
/// message waits for its turn, past the longest wait it is refused (HTTP 429 with Retry-After, WebSocket close 4029),
/// and another address is not touched. The server runs on a fake clock, so waits end exactly when the test says.
/// </summary>
public sealed class AddressPacingTests
{
    // 64 KiB/s with a 128 KiB burst and no overhead: 100 KiB passes, 60 KiB more waits 0.5 s, 200 KiB more is refused.
    private static readonly Dictionary<string, string?> Pacing = new()
    {
        ["Rpc:PacedBytesPerSecondPerAddress"] = "65536",
        ["Rpc:PacedBurstBytesPerAddress"] = "131072",
        ["Rpc:PacedMessageOverheadBytes"] = "0",
        ["Rpc:MaxPacingWaitSeconds"] = "2",
        ["Rpc:MaxInFlightBytesPerAddress"] = "4194304",
    };

    /// <summary>A users.check request padded with whitespace to <paramref name="bytes"/> bytes.</summary>
    private static byte[] Check(int bytes)
    {
        var request = """{"jsonrpc":"2.0","method":"users.check","params":{"username":"pace"},"id":1}""";
        return Encoding.UTF8.GetBytes(request + new string(' ', bytes - request.Length));
    }

    [Test]
    public async Task Http_PastTheBurst_WaitsItsTurn_PastTheLongestWait_429WithRetryAfter_OtherAddressUntouched()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await RpcTestServer.StartAsync(Pacing, configureServices: s => s.AddSingleton<TimeProvider>(clock));
        using var client = new HttpClient(From("127.0.0.1")) { BaseAddress = server.BaseUri };
        using var other = new HttpClient(From("127.0.0.2")) { BaseAddress = server.BaseUri };

        using (var first = await PostAsync(client, Check(100 * 1024)))
        {
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK), "within the burst");
        }

        var waiting = PostAsync(client, Check(60 * 1024));
        Assert.That(await Task.WhenAny(waiting, Task.Delay(500)), Is.Not.SameAs(waiting), "past the burst the body waits for its turn");
        clock.Advance(TimeSpan.FromSeconds(0.5));
        using (var paced = await waiting)
        {
            Assert.That(paced.StatusCode, Is.EqualTo(HttpStatusCode.OK), "runs once its bytes are paid back");
        }

        using (var refused = await PostAsync(client, Check(200 * 1024)))
        {
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
            Assert.That(refused.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromSeconds(2)), "3.1 s of debt against a 2 s wait: retry after 2 s");
            var error = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
            Assert.That(error.GetProperty("data").GetString(), Is.EqualTo("rate limited: retry after 2 seconds: this address sends more than the server reads from one address"));
        }

        using (var elsewhere = await PostAsync(other, Check(100 * 1024)))
        {
            Assert.That(elsewhere.StatusCode, Is.EqualTo(HttpStatusCode.OK), "another address has a pace of its own");
        }

        // Nothing of the refused body was counted: after the wait the address sends again.
        clock.Advance(TimeSpan.FromSeconds(2));
        using var again = await PostAsync(client, Check(100 * 1024));
        Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task WebSocket_PastTheBurst_WaitsItsTurn_PastTheLongestWait_Closed4029_OtherAddressUntouched()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await RpcTestServer.StartAsync(Pacing, configureServices: s => s.AddSingleton<TimeProvider>(clock));
        using var invoker = new HttpMessageInvoker(From("127.0.0.1"));
        using var otherInvoker = new HttpMessageInvoker(From("127.0.0.2"));
        await using var ws = await WsClient.ConnectAsync(server.WebSocketUri, invoker: invoker);
        await using var otherWs = await WsClient.ConnectAsync(server.WebSocketUri, invoker: otherInvoker);

        await ws.SendAsync(Check(100 * 1024));
        Assert.That((await ws.ReceiveJsonAsync()).GetProperty("result").GetBoolean(), Is.False, "within the burst");

        await ws.SendAsync(Check(60 * 1024));
        // (A receive that times out aborts a ClientWebSocket, so the same receive is awaited after the clock moves.)
        var reply = ws.ReceiveJsonAsync();
        Assert.That(await Task.WhenAny(reply, Task.Delay(500)), Is.Not.SameAs(reply), "past the burst the message waits for its turn");
        clock.Advance(TimeSpan.FromSeconds(0.5));
        Assert.That((await reply).GetProperty("result").GetBoolean(), Is.False, "runs once its bytes are paid back");

        await otherWs.SendAsync(Check(100 * 1024));
        Assert.That((await otherWs.ReceiveJsonAsync()).GetProperty("result").GetBoolean(), Is.False, "another address has a pace of its own");

        await ws.SendAsync(Check(200 * 1024));
        Assert.That(await ws.ReceiveAsync(), Is.Null, "no reply: the connection closes");
        Assert.That((int?)ws.Socket.CloseStatus, Is.EqualTo(4029));
        Assert.That(ws.Socket.CloseStatusDescription, Is.EqualTo("rate limited: retry after 2 seconds: this address sends more than the server reads from one address"));
        Assert.That(otherWs.State, Is.EqualTo(WebSocketState.Open));
    }

    [Test]
    public async Task Http_ChunkedBodyWithoutALength_IsCountedOnceRead()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await RpcTestServer.StartAsync(Pacing, configureServices: s => s.AddSingleton<TimeProvider>(clock));
        using var client = new HttpClient(From("127.0.0.1")) { BaseAddress = server.BaseUri };
        static HttpRequestMessage Chunked(byte[] body)
        {
            var content = new ByteArrayContent(body);
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            var request = new HttpRequestMessage(HttpMethod.Post, "/rpc") { Content = content };
            request.Headers.TransferEncodingChunked = true;
            return request;
        }

        using (var first = await client.SendAsync(Chunked(Check(100 * 1024))))
        {
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(first.RequestMessage!.Headers.TransferEncodingChunked, Is.True, "sent without a Content-Length");
        }

        using var refused = await client.SendAsync(Chunked(Check(200 * 1024)));
        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests), "its bytes counted after reading, beyond the longest wait");
    }

    [Test]
    public async Task Off_WhenTheRateIsZero()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var settings = new Dictionary<string, string?>(Pacing) { ["Rpc:PacedBytesPerSecondPerAddress"] = "0" };
        await using var server = await RpcTestServer.StartAsync(settings, configureServices: s => s.AddSingleton<TimeProvider>(clock));
        using var client = new HttpClient(From("127.0.0.1")) { BaseAddress = server.BaseUri };
        for (var i = 0; i < 4; i++)
        {
            using var response = await PostAsync(client, Check(200 * 1024));
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }
    }

    private static async Task<HttpResponseMessage> PostAsync(HttpClient client, byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        return await client.PostAsync("/rpc", content);
    }

    private static SocketsHttpHandler From(string address) => new()
    {
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            socket.Bind(new IPEndPoint(IPAddress.Parse(address), 0));
            await socket.ConnectAsync(context.DnsEndPoint.Host == "localhost" ? new IPEndPoint(IPAddress.Loopback, context.DnsEndPoint.Port) : context.DnsEndPoint, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        },
    };
}
