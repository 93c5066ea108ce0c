using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Transport;

public sealed class WebSocketTransportTests
{
    private static RpcTestServer Server => SharedServer.Instance;

    [Test]
    public async Task OversizedMessage_IsAnswered_AndConnectionSurvives()
    {
        await using var ws = await WsClient.ConnectAsync(Server.WebSocketUri);
        var big = $$"""{"jsonrpc":"2.0","method":"users.check","params":["{{new string('a', 1024 * 1024 + 10)}}"],"id":1}""";
        var error = await ws.CallAsync(big);
        Assert.That(error.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32600));
        Assert.That(error.GetProperty("error").GetProperty("data").GetString(), Does.Contain("1048576"));
        var next = await ws.CallAsync("""{"jsonrpc":"2.0","method":"users.check","params":["x"],"id":2}""");
        Assert.That(next.GetProperty("result").GetBoolean(), Is.False);
    }

    [Test]
    public async Task InvalidUtf8_IsParseError_AndConnectionSurvives()
    {
        await using var ws = await WsClient.ConnectAsync(Server.WebSocketUri);
        var bytes = Encoding.UTF8.GetBytes("""{"jsonrpc":"2.0","method":"users.check","params":["__"],"id":1}""");
        var at = Array.IndexOf(bytes, (byte)'_');
        bytes[at] = 0xFF;
        await ws.SendAsync(bytes, WebSocketMessageType.Binary);
        var reply = await ws.ReceiveJsonAsync();
        Assert.That(reply.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32700));
        var next = await ws.CallAsync("""{"jsonrpc":"2.0","method":"users.check","params":["x"],"id":2}""");
        Assert.That(next.GetProperty("result").GetBoolean(), Is.False);
    }

    [Test]
    public async Task ManyRequestsInFlight_AreAllAnswered_MatchedById()
    {
        await using var ws = await WsClient.ConnectAsync(Server.WebSocketUri);
        var ids = Enumerable.Range(0, 200).ToList();
        foreach (var id in ids)
        {
            await ws.SendAsync($$"""{"jsonrpc":"2.0","method":"users.check","params":["n{{id}}"],"id":{{id}}}""");
        }

        var seen = new List<int>();
        for (var i = 0; i < ids.Count; i++)
        {
            seen.Add((await ws.ReceiveJsonAsync()).GetProperty("id").GetInt32());
        }

        Assert.That(seen, Is.EquivalentTo(ids));
    }

    [Test]
    public async Task SlowRequest_DoesNotHoldBackFastOnes()
    {
        // The shared server's test hash (8 MiB, one pass) finished before the check on a quiet machine: a server of
        // its own hashes for tens of milliseconds, so the order says which request waited for which.
        await using var server = await RpcTestServer.StartAsync(new Dictionary<string, string?> { ["Passwords:MemoryKiB"] = "65536", ["Passwords:Iterations"] = "4" });
        await using var ws = await WsClient.ConnectAsync(server.WebSocketUri);
        // A login is an Argon2 hash; a check is a look-up. The check sent second is answered first.
        await ws.SendAsync("""{"jsonrpc":"2.0","method":"users.auth","params":["nobody-at-all","wrong password"],"id":"slow"}""");
        await ws.SendAsync("""{"jsonrpc":"2.0","method":"users.check","params":["x"],"id":"fast"}""");
        var first = await ws.ReceiveJsonAsync();
        var second = await ws.ReceiveJsonAsync();
        Assert.That(first.GetProperty("id").GetString(), Is.EqualTo("fast"));
        Assert.That(second.GetProperty("id").GetString(), Is.EqualTo("slow"));
    }

    [Test]
    public async Task Auth_AuthenticatesTheConnection_ForLaterRequests()
    {
        var user = await Server.NewUserAsync();
        await using var ws = await WsClient.ConnectAsync(Server.WebSocketUri);
        var anonymous = await ws.CallAsync("""{"jsonrpc":"2.0","method":"users.self","id":1}""");
        Assert.That(anonymous.GetProperty("error").GetProperty("data").GetString(), Does.StartWith("authentication required"));
        await ws.CallAsync($$"""{"jsonrpc":"2.0","method":"users.auth","params":{"username":"{{user.Username}}","password":"{{user.Password}}"},"id":2}""");
        var self = await ws.CallAsync("""{"jsonrpc":"2.0","method":"users.self","id":3}""");
        Assert.That(self.GetProperty("result").GetProperty("id").GetString(), Is.EqualTo(user.Id));
    }

    [Test]
    public async Task Identify_AuthenticatesTheConnection_AndLogoutEndsIt()
    {
        var user = await Server.NewUserAsync();
        await using var ws = await WsClient.ConnectAsync(Server.WebSocketUri);
        var identified = await ws.CallAsync($$"""{"jsonrpc":"2.0","method":"users.identify","params":["{{user.Token}}"],"id":1}""");
        Assert.That(identified.GetProperty("result").GetProperty("username").GetString(), Is.EqualTo(user.Username));
        var self = await ws.CallAsync("""{"jsonrpc":"2.0","method":"users.self","id":2}""");
        Assert.That(self.GetProperty("result").GetProperty("id").GetString(), Is.EqualTo(user.Id));
        var logout = await ws.CallAsync("""{"jsonrpc":"2.0","method":"users.logout","id":3}""");
        Assert.That(logout.GetProperty("result").GetBoolean(), Is.True);
        while (await ws.ReceiveAsync() is { } message)
        {
            Assert.That(message, Does.Contain("gateway.event"), "only events may come before the close");
        }

        Assert.That((int?)ws.Socket.CloseStatus, Is.EqualTo(4004));
    }

    [Test]
    public async Task LangQuery_LocalizesMessages()
    {
        await using var ws = await WsClient.ConnectAsync(new Uri(Server.WebSocketUri + "?lang=fr"));
        var reply = await ws.CallAsync("""{"jsonrpc":"2.0","method":"nope","id":1}""");
        Assert.That(reply.GetProperty("error").GetProperty("message").GetString(), Is.EqualTo("Méthode introuvable"));
    }

    [Test]
    public async Task RevokedToken_OfConnection_ClosesIt()
    {
        var user = await Server.NewUserAsync();
        await using var ws = await WsClient.ConnectAsync(Server.WebSocketUri);
        await ws.CallAsync($$"""{"jsonrpc":"2.0","method":"users.identify","params":["{{user.Token}}"],"id":1}""");
        await Server.ResultAsync("users.logout", token: user.Token);
        while (await ws.ReceiveAsync() is { } message)
        {
            Assert.That(message, Does.Contain("gateway.event"), "only events may come before the close");
        }

        Assert.That((int?)ws.Socket.CloseStatus, Is.EqualTo(4004));
    }
}
