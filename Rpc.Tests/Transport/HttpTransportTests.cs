using System.Net;
using System.Text;
using System.Text.Json;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Transport;

public sealed class HttpTransportTests
{
    private static RpcTestServer Server => SharedServer.Instance;

    private static async Task<JsonElement> ErrorBodyAsync(HttpResponseMessage response)
    {
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.That(body.GetProperty("jsonrpc").GetString(), Is.EqualTo("2.0"));
        return body.GetProperty("error");
    }

    [Test]
    public async Task Get_Is405_WithAllowHeaderAndJsonRpcError()
    {
        using var response = await Server.Http.GetAsync("/rpc");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.MethodNotAllowed));
        Assert.That(response.Content.Headers.Allow, Does.Contain("POST"));
        var error = await ErrorBodyAsync(response);
        Assert.That(error.GetProperty("code").GetInt32(), Is.EqualTo(-32600));
    }

    [Test]
    public async Task Put_Is405()
    {
        using var response = await Server.Http.PutAsync("/rpc", new StringContent("{}", Encoding.UTF8, "application/json"));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.MethodNotAllowed));
    }

    [TestCase("text/plain")]
    [TestCase("application/x-www-form-urlencoded")]
    public async Task WrongContentType_Is415_WithJsonRpcError(string contentType)
    {
        using var response = await Server.PostAsync("""{"jsonrpc":"2.0","method":"users.check","params":["x"],"id":1}""", contentType);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.UnsupportedMediaType));
        // A refusal is one small JSON body with its length, not a chunked stream.
        Assert.That(response.Headers.TransferEncodingChunked, Is.Not.True);
        Assert.That(response.Content.Headers.ContentLength, Is.EqualTo((await response.Content.ReadAsByteArrayAsync()).Length));
        var error = await ErrorBodyAsync(response);
        Assert.That(error.GetProperty("data").GetString(), Does.Contain("application/json"));
    }

    [Test]
    public async Task JsonWithCharset_IsAccepted()
    {
        using var response = await Server.PostAsync("""{"jsonrpc":"2.0","method":"users.check","params":["x"],"id":1}""", "application/json; charset=utf-8");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [TestCase("/rpc/")]
    [TestCase("/RPC")]
    public async Task TrailingSlashAndCase_ReachTheEndpoint(string path)
    {
        using var content = new StringContent("""{"jsonrpc":"2.0","method":"users.check","params":["x"],"id":1}""", Encoding.UTF8, "application/json");
        using var response = await Server.Http.PostAsync(path, content);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.That(body.RootElement.GetProperty("result").ValueKind, Is.EqualTo(JsonValueKind.False));
    }

    [Test]
    public async Task PathBesideRpc_Is404()
    {
        using var content = new StringContent("""{"jsonrpc":"2.0","method":"users.check","params":["x"],"id":1}""", Encoding.UTF8, "application/json");
        using var response = await Server.Http.PostAsync("/rpcx", content);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [TestCase("/rpc/users.check")]
    [TestCase("/RPC/users/check")]
    public async Task PathBelowRpc_Is404_WithAHintWhereCallsGo(string path)
    {
        using var content = new StringContent("""{"username":"x"}""", Encoding.UTF8, "application/json");
        using var response = await Server.Http.PostAsync(path, content);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(response.Content.Headers.ContentLength, Is.EqualTo((await response.Content.ReadAsByteArrayAsync()).Length));
        Assert.That(response.Headers.GetValues("X-Content-Type-Options"), Is.EqualTo(new[] { "nosniff" }));
        var error = await ErrorBodyAsync(response);
        Assert.That(error.GetProperty("code").GetInt32(), Is.EqualTo(-32600));
        Assert.That(error.GetProperty("data").GetString(), Does.StartWith($"no JSON-RPC endpoint at {path}: POST to /rpc with the method in the body"));
    }

    [Test]
    public async Task OversizedBody_Is413_WithJsonRpcError()
    {
        var body = $$"""{"jsonrpc":"2.0","method":"users.check","params":["{{new string('a', 1024 * 1024 + 10)}}"],"id":1}""";
        using var response = await Server.PostAsync(body);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
        var error = await ErrorBodyAsync(response);
        Assert.That(error.GetProperty("data").GetString(), Does.Contain("1048576"));
    }

    [Test]
    public async Task OnlyNotifications_Is204WithoutBody()
    {
        using var response = await Server.PostAsync("""{"jsonrpc":"2.0","method":"users.check","params":["x"]}""");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(await response.Content.ReadAsByteArrayAsync(), Is.Empty);
    }

    [Test]
    public async Task InvalidUtf8_IsParseError()
    {
        var bytes = Encoding.UTF8.GetBytes("""{"jsonrpc":"2.0","method":"users.check","params":["__"],"id":1}""");
        var at = Array.IndexOf(bytes, (byte)'_');
        bytes[at] = 0xC3;
        bytes[at + 1] = 0x28;
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var response = await Server.Http.PostAsync("/rpc", content);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.That(body.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32700));
    }

    [Test]
    public async Task BearerHeader_Authenticates()
    {
        var user = await Server.NewUserAsync();
        using var response = await Server.PostAsync("""{"jsonrpc":"2.0","method":"users.self","id":1}""", bearer: user.Token);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.That(body.GetProperty("result").GetProperty("id").GetString(), Is.EqualTo(user.Id));
    }
}
