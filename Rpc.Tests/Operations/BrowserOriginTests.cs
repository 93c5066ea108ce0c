using System.Net;
using System.Net.WebSockets;
using System.Text;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Operations;

/// <summary>Server:AllowedOrigins: CORS for POST /rpc and an Origin allow-list for WebSocket upgrades; requests without Origin are unaffected.</summary>
[TestFixture]
public sealed class BrowserOriginTests
{
    private const string Allowed = "https://app.example.org";
    private RpcTestServer server = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => server = await RpcTestServer.StartAsync(new Dictionary<string, string?> { ["Server:AllowedOrigins:0"] = Allowed });

    [OneTimeTearDown]
    public async Task StopAsync() => await server.DisposeAsync();

    [Test]
    public async Task Preflight_AllowedOrigin_AnsweredWithCorsHeaders()
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, "/rpc");
        request.Headers.Add("Origin", Allowed);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "content-type,authorization");
        using var response = await server.Http.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(response.Headers.GetValues("Access-Control-Allow-Origin"), Is.EqualTo(new[] { Allowed }));
        Assert.That(string.Join(",", response.Headers.GetValues("Access-Control-Allow-Headers")).ToLowerInvariant(), Does.Contain("authorization"));
    }

    [Test]
    public async Task Post_AllowedOrigin_ReplyCarriesAllowOrigin()
    {
        using var response = await PostWithOrigin(Allowed);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Headers.GetValues("Access-Control-Allow-Origin"), Is.EqualTo(new[] { Allowed }));
    }

    [Test]
    public async Task Post_OtherOrigin_NoAllowOriginSoTheBrowserRefusesIt()
    {
        using var response = await PostWithOrigin("https://evil.example.net");
        Assert.That(response.Headers.Contains("Access-Control-Allow-Origin"), Is.False);
    }

    [Test]
    public async Task WebSocket_AllowedOrigin_Upgrades()
    {
        await using var ws = await WsClient.ConnectAsync(server.WebSocketUri, origin: Allowed);
        Assert.That((await ws.CallAsync("""{"jsonrpc":"2.0","method":"users.check","params":["x"],"id":1}""")).GetProperty("result").GetBoolean(), Is.False);
    }

    [Test]
    public async Task WebSocket_NoOriginHeader_Upgrades()
    {
        await using var ws = await WsClient.ConnectAsync(server.WebSocketUri);
        Assert.That(ws.State, Is.EqualTo(WebSocketState.Open));
    }

    [Test]
    public async Task WebSocket_SameOriginPage_Upgrades()
    {
        await using var ws = await WsClient.ConnectAsync(server.WebSocketUri, origin: $"http://{server.BaseUri.Authority}");
        Assert.That(ws.State, Is.EqualTo(WebSocketState.Open));
    }

    [Test]
    public async Task WebSocket_OtherOrigin_Refused403WithError()
    {
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Origin", "https://evil.example.net");
        socket.Options.CollectHttpResponseDetails = true;
        Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(server.WebSocketUri, CancellationToken.None));
        Assert.That(socket.HttpStatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        await Task.CompletedTask;
    }

    [Test]
    public async Task Options_WithoutAllowedOrigins_Still405()
    {
        await using var plain = await RpcTestServer.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Options, "/rpc");
        request.Headers.Add("Origin", Allowed);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        using var response = await plain.Http.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.MethodNotAllowed));
    }

    private Task<HttpResponseMessage> PostWithOrigin(string origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/rpc") { Content = new StringContent("""{"jsonrpc":"2.0","method":"users.check","params":["x"],"id":1}""", Encoding.UTF8, "application/json") };
        request.Headers.Add("Origin", origin);
        return server.Http.SendAsync(request);
    }
}
