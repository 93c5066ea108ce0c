using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Rpc.Server.Gateway;
using Rpc.Tests.Infrastructure;
using Rpc.Server.Events;

namespace Rpc.Tests.Gateway;

public sealed class GatewaySessionTests
{
    private static RpcTestServer Server => SharedServer.Instance;

    private static void Publish(RpcTestServer server, string name, object payload, params long[] userIds) =>
        server.Get<IEventBus>().Publish(new DispatchEvent(name, payload, new EventAudience.Users(userIds)));

    [Test]
    public async Task Identify_SendsReadyFirst_WithSequenceOne_UserAndSessionId()
    {
        var user = await Server.NewUserAsync();
        await using var client = await GatewayClient.IdentifyAsync(Server, user.Token);
        Assert.That(client.Ready.GetProperty("s").GetInt64(), Is.EqualTo(1));
        Assert.That(client.Ready.GetProperty("d").GetProperty("user").GetProperty("id").GetString(), Is.EqualTo(user.Id));
        Assert.That(client.SessionId, Does.Match("^[A-Za-z0-9_-]{22}$"));
    }

    [Test]
    public async Task Auth_OnWebSocket_AlsoStartsTheGateway()
    {
        var user = await Server.NewUserAsync();
        await using var client = await GatewayClient.ConnectAsync(Server);
        var reply = await client.CallAsync("users.auth", new { username = user.Username, password = user.Password });
        Assert.That(reply.GetProperty("result").GetProperty("user_id").GetString(), Is.EqualTo(user.Id));
        var ready = await client.NextEventAsync();
        Assert.That(ready.GetProperty("t").GetString(), Is.EqualTo("READY"));
    }

    [Test]
    public async Task Events_ReachOnlyTheirAudience_InOrder_WithIncreasingSequence()
    {
        var alice = await Server.NewUserAsync();
        var bob = await Server.NewUserAsync();
        await using var a = await GatewayClient.IdentifyAsync(Server, alice.Token);
        await using var b = await GatewayClient.IdentifyAsync(Server, bob.Token);
        for (var i = 0; i < 5; i++)
        {
            Publish(Server, "TEST_EVENT", new { n = i }, long.Parse(alice.Id));
        }

        long previous = 1;
        for (var i = 0; i < 5; i++)
        {
            var e = await a.NextEventAsync("TEST_EVENT");
            Assert.That(e.GetProperty("s").GetInt64(), Is.GreaterThan(previous));
            previous = e.GetProperty("s").GetInt64();
            Assert.That(e.GetProperty("d").GetProperty("n").GetInt32(), Is.EqualTo(i));
        }

        Assert.That(await b.HasEventAsync("TEST_EVENT", TimeSpan.FromMilliseconds(300)), Is.False);
    }

    [Test]
    public async Task Logout_RepliesThenClosesTheConnection_WithSessionRevoked()
    {
        var user = await Server.NewUserAsync();
        await using var client = await GatewayClient.IdentifyAsync(Server, user.Token);
        var reply = await client.CallAsync("users.logout");
        Assert.That(reply.GetProperty("result").GetBoolean(), Is.True);
        Assert.That(await client.WaitForCloseAsync(TimeSpan.FromSeconds(10)), Is.EqualTo(4004));
    }

    [Test]
    public async Task LogoutOverHttp_ClosesEveryConnectionOfThatSession_Only()
    {
        var user = await Server.NewUserAsync();
        var other = (await Server.ResultAsync("users.auth", new { username = user.Username, password = user.Password })).GetProperty("token").GetString()!;
        await using var first = await GatewayClient.IdentifyAsync(Server, user.Token);
        await using var second = await GatewayClient.IdentifyAsync(Server, user.Token);
        await using var untouched = await GatewayClient.IdentifyAsync(Server, other);
        await Server.ResultAsync("users.logout", token: user.Token);
        Assert.That(await first.WaitForCloseAsync(TimeSpan.FromSeconds(10)), Is.EqualTo(4004));
        Assert.That(await second.WaitForCloseAsync(TimeSpan.FromSeconds(10)), Is.EqualTo(4004));
        var self = await untouched.CallAsync("users.self");
        Assert.That(self.GetProperty("result").GetProperty("id").GetString(), Is.EqualTo(user.Id));
    }

    [Test]
    public async Task Resume_ReplaysMissedEvents_ThenContinues()
    {
        var user = await Server.NewUserAsync();
        var userId = long.Parse(user.Id);
        var first = await GatewayClient.IdentifyAsync(Server, user.Token);
        var sessionId = first.SessionId;
        Publish(Server, "TEST_EVENT", new { n = 1 }, userId);
        var lastSeen = (await first.NextEventAsync("TEST_EVENT")).GetProperty("s").GetInt64();
        first.Ws.Socket.Abort();
        await WaitUntilAsync(() => Server.Get<GatewayHub>().AttachedSessionsOf(userId) == 0);

        Publish(Server, "TEST_EVENT", new { n = 2 }, userId);
        Publish(Server, "TEST_EVENT", new { n = 3 }, userId);
        // The gateway numbers events on its own loop: resume once both are in the session, not before.
        await WaitUntilAsync(() => Server.Get<GatewayHub>().Find(sessionId, userId)?.LastSeq >= lastSeen + 2);
        await using var second = await GatewayClient.ConnectAsync(Server);
        var reply = await second.CallAsync("gateway.resume", new { session_id = sessionId, seq = lastSeen }, auth: user.Token);
        var replayedCount = reply.GetProperty("result").GetProperty("replayed").GetInt32();
        var replayed = new List<JsonElement>();
        for (var i = 0; i < replayedCount + 1; i++)
        {
            replayed.Add(await second.NextEventAsync());
        }

        Assert.That(replayed.Select(e => e.GetProperty("s").GetInt64()), Is.EqualTo(Enumerable.Range(0, replayedCount + 1).Select(i => lastSeen + 1 + i)), "no gaps");
        var tests = replayed.Where(e => e.GetProperty("t").GetString() == "TEST_EVENT").ToList();
        Assert.That(tests.Select(e => e.GetProperty("d").GetProperty("n").GetInt32()), Is.EqualTo(new[] { 2, 3 }));
        var resumed = replayed[^1];
        Assert.That(resumed.GetProperty("t").GetString(), Is.EqualTo("RESUMED"));
        Publish(Server, "TEST_EVENT", new { n = 4 }, userId);
        Assert.That((await second.NextEventAsync("TEST_EVENT")).GetProperty("s").GetInt64(), Is.GreaterThan(resumed.GetProperty("s").GetInt64()));
        var self = await second.CallAsync("users.self");
        Assert.That(self.GetProperty("result").GetProperty("id").GetString(), Is.EqualTo(user.Id));
    }

    [Test]
    public async Task Resume_ByAnotherUser_OrUnknownSession_OrLostEvents_IsRefused()
    {
        await using var server = await RpcTestServer.StartAsync(new Dictionary<string, string?> { ["Gateway:ReplayBufferSize"] = "3" });
        var user = await server.NewUserAsync();
        var intruder = await server.NewUserAsync();
        var first = await GatewayClient.IdentifyAsync(server, user.Token);
        var sessionId = first.SessionId;
        first.Ws.Socket.Abort();
        await WaitUntilAsync(() => server.Get<GatewayHub>().AttachedSessionsOf(long.Parse(user.Id)) == 0);

        await using var other = await GatewayClient.ConnectAsync(server);
        var stolen = await other.CallAsync("gateway.resume", new { session_id = sessionId, seq = 1 }, auth: intruder.Token);
        Assert.That(stolen.GetProperty("error").GetProperty("data").GetString(), Does.StartWith("unknown or expired gateway session"));
        var unknown = await other.CallAsync("gateway.resume", new { session_id = "nope", seq = 1 }, auth: user.Token);
        Assert.That(unknown.GetProperty("error").GetProperty("data").GetString(), Does.StartWith("unknown or expired gateway session"));

        var lastSeq = server.Get<GatewayHub>().Find(sessionId, long.Parse(user.Id))!.LastSeq;
        for (var i = 0; i < 10; i++)
        {
            Publish(server, "TEST_EVENT", new { n = i }, long.Parse(user.Id));
        }

        await WaitUntilAsync(() => server.Get<GatewayHub>().Find(sessionId, long.Parse(user.Id))!.LastSeq >= lastSeq + 10);
        var lost = await other.CallAsync("gateway.resume", new { session_id = sessionId, seq = 1 }, auth: user.Token);
        Assert.That(lost.GetProperty("error").GetProperty("data").GetString(), Does.StartWith("the events after this seq are no longer kept"));
    }

    [Test]
    public async Task Resume_OverHttp_IsRefused()
    {
        var user = await Server.NewUserAsync();
        var error = await Server.ErrorAsync("gateway.resume", new { session_id = "x", seq = 0 }, token: user.Token);
        Assert.That(error.GetProperty("data").GetString(), Is.EqualTo("this method works only on a WebSocket connection"));
    }

    [Test]
    public async Task SlowConsumer_IsClosedWith4008_OthersKeepReceiving()
    {
        await using var server = await RpcTestServer.StartAsync(new Dictionary<string, string?> { ["Gateway:MaxQueuedFrames"] = "16" });
        var slow = await server.NewUserAsync();
        var fast = await server.NewUserAsync();
        await using var slowClient = await GatewayClient.IdentifyAsync(server, slow.Token);
        await using var fastClient = await GatewayClient.IdentifyAsync(server, fast.Token);
        var padding = new string('x', 16 * 1024);
        for (var i = 0; i < 2000; i++)
        {
            Publish(server, "TEST_EVENT", new { n = i, padding }, long.Parse(slow.Id));
        }

        Publish(server, "TEST_EVENT", new { n = -1 }, long.Parse(fast.Id));
        Assert.That((await fastClient.NextEventAsync("TEST_EVENT")).GetProperty("d").GetProperty("n").GetInt32(), Is.EqualTo(-1));
        Assert.That(await slowClient.WaitForCloseAsync(TimeSpan.FromSeconds(20)), Is.EqualTo(4008));
    }

    [Test]
    public async Task SilentConnection_IsClosedAfterIdleTimeout()
    {
        await using var server = await RpcTestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:PingInterval"] = "00:00:02",
            ["Gateway:IdleTimeout"] = "00:00:02",
        });
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.BaseUri.Host, server.BaseUri.Port);
        var stream = tcp.GetStream();
        var handshake = $"GET /rpc HTTP/1.1\r\nHost: {server.BaseUri.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(handshake));
        var buffer = new byte[4096];
        var read = await stream.ReadAsync(buffer);
        Assert.That(Encoding.ASCII.GetString(buffer, 0, read), Does.StartWith("HTTP/1.1 101"));

        // Never answer the server's pings: it must give up on us.
        var started = DateTime.UtcNow;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var sawPing = false;
        try
        {
            while (true)
            {
                var n = await stream.ReadAsync(buffer, timeout.Token);
                if (n == 0)
                {
                    break;
                }

                sawPing |= buffer[0] == 0x89;
            }
        }
        catch (IOException)
        {
            // The server aborted the connection: that is the expected end.
        }

        Assert.That(sawPing, Is.True, "the server sent no ping");
        Assert.That(DateTime.UtcNow - started, Is.LessThan(TimeSpan.FromSeconds(10)));
    }

    internal static Task WaitUntilAsync(Func<bool> condition) => Eventually.WaitUntilAsync(condition);
}
