using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Rpc.Server.Gateway;
using Rpc.Tests.Infrastructure;
using Rpc.Server.Events;

namespace Rpc.Tests.Gateway;

/// <summary>The gateway's lifecycle as methods.md's guide describes it: resume takeover, resume errors, close codes, identify on upgrade, READY, heartbeat.</summary>
public sealed class GatewayLifecycleTests
{
    private static RpcTestServer Server => SharedServer.Instance;

    private static void Publish(RpcTestServer server, string name, object payload, long userId) =>
        server.Get<IEventBus>().Publish(new DispatchEvent(name, payload, new EventAudience.Users([userId])));

    private static Task WaitUntilAsync(Func<bool> condition) => GatewaySessionTests.WaitUntilAsync(condition);

    private static string? Data(JsonElement reply) => reply.GetProperty("error").GetProperty("data").GetString();

    private static async Task<long> LastSeqAsync(GatewayClient client, RpcTestServer server, long userId)
    {
        Publish(server, "TEST_EVENT", new { n = 0 }, userId);
        return (await client.NextEventAsync("TEST_EVENT")).GetProperty("s").GetInt64();
    }

    [Test]
    public async Task Resume_WhileTheOldSocketIsHalfOpen_TakesOverAtOnce_AndClosesTheOldWith4007()
    {
        var user = await Server.NewUserAsync();
        var userId = long.Parse(user.Id);
        await using var old = await GatewayClient.IdentifyAsync(Server, user.Token);
        var lastSeen = await LastSeqAsync(old, Server, userId);

        // From here the old client reads nothing (its pongs stop too): to the server it is still attached.
        Publish(Server, "TEST_EVENT", new { n = 1 }, userId);
        Assert.That(Server.Get<GatewayHub>().AttachedSessionsOf(userId), Is.EqualTo(1));

        var started = Stopwatch.StartNew();
        await using var fresh = await GatewayClient.ConnectAsync(Server);
        var reply = await fresh.CallAsync("gateway.resume", new { session_id = old.SessionId, seq = lastSeen }, auth: user.Token);
        Assert.That(reply.GetProperty("result").GetProperty("replayed").GetInt32(), Is.EqualTo(1), reply.ToString());
        Assert.That(started.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)), "the resume waited for the old socket");
        var replayed = await fresh.NextEventAsync();
        Assert.That(replayed.GetProperty("d").GetProperty("n").GetInt32(), Is.EqualTo(1));
        Assert.That((await fresh.NextEventAsync()).GetProperty("t").GetString(), Is.EqualTo("RESUMED"));
        Assert.That(Server.Get<GatewayHub>().AttachedSessionsOf(userId), Is.EqualTo(1));

        // When the old client reads again it finds the takeover close; events go to the new socket only.
        Assert.That(await old.WaitForCloseAsync(TimeSpan.FromSeconds(10)), Is.EqualTo(4007));
        Assert.That(old.Ws.Socket.CloseStatusDescription, Is.EqualTo("session resumed elsewhere"));
        Publish(Server, "TEST_EVENT", new { n = 2 }, userId);
        Assert.That((await fresh.NextEventAsync("TEST_EVENT")).GetProperty("d").GetProperty("n").GetInt32(), Is.EqualTo(2));
    }

    [Test]
    public async Task Resume_WithSeqAhead_IsRefusedAndKeepsTheSession_ThenACorrectResumeWorks()
    {
        var user = await Server.NewUserAsync();
        var userId = long.Parse(user.Id);
        var first = await GatewayClient.IdentifyAsync(Server, user.Token);
        var sessionId = first.SessionId;
        var lastSeen = await LastSeqAsync(first, Server, userId);
        first.Ws.Socket.Abort();
        await WaitUntilAsync(() => Server.Get<GatewayHub>().AttachedSessionsOf(userId) == 0);

        await using var second = await GatewayClient.ConnectAsync(Server);
        var ahead = await second.CallAsync("gateway.resume", new { session_id = sessionId, seq = lastSeen + 5 }, auth: user.Token);
        Assert.That(Data(ahead), Is.EqualTo("seq is ahead of this gateway session's last event: resume again with the s of the last event received; the session is kept"));
        Assert.That(second.Ws.State, Is.EqualTo(WebSocketState.Open));

        var good = await second.CallAsync("gateway.resume", new { session_id = sessionId, seq = lastSeen }, auth: user.Token);
        Assert.That(good.GetProperty("result").GetProperty("replayed").GetInt32(), Is.Zero, good.ToString());
        var resumed = await second.NextEventAsync();
        Assert.That(resumed.GetProperty("t").GetString(), Is.EqualTo("RESUMED"));
        Assert.That(resumed.GetProperty("s").GetInt64(), Is.EqualTo(lastSeen + 1), "RESUMED takes the next sequence number");
    }

    [TestCase(WebSocketCloseStatus.NormalClosure)]
    [TestCase(WebSocketCloseStatus.EndpointUnavailable)]
    public async Task CleanClientClose_EndsTheSession_SoAResumeIsRefused(WebSocketCloseStatus status)
    {
        var user = await Server.NewUserAsync();
        var userId = long.Parse(user.Id);
        var first = await GatewayClient.IdentifyAsync(Server, user.Token);
        await first.Ws.Socket.CloseAsync(status, "bye", CancellationToken.None);
        Assert.That(first.Ws.Socket.CloseStatus, Is.EqualTo(WebSocketCloseStatus.NormalClosure), "the close-code table: the server answers a client's close with 1000");
        await WaitUntilAsync(() => Server.Get<GatewayHub>().AttachedSessionsOf(userId) == 0);

        await using var second = await GatewayClient.ConnectAsync(Server);
        var refused = await second.CallAsync("gateway.resume", new { session_id = first.SessionId, seq = 1 }, auth: user.Token);
        Assert.That(Data(refused), Is.EqualTo("unknown or expired gateway session: identify again and start over from READY"));
        Assert.That(second.Ws.State, Is.EqualTo(WebSocketState.Open), "a refused resume leaves the socket open");
        var identified = await second.CallAsync("users.identify", new { token = user.Token });
        Assert.That(identified.TryGetProperty("result", out _), Is.True, identified.ToString());
    }

    [Test]
    public async Task OtherClientClose_KeepsTheSessionResumable()
    {
        var user = await Server.NewUserAsync();
        var userId = long.Parse(user.Id);
        var first = await GatewayClient.IdentifyAsync(Server, user.Token);
        await first.Ws.Socket.CloseAsync((WebSocketCloseStatus)4000, "reconnecting", CancellationToken.None);
        await WaitUntilAsync(() => Server.Get<GatewayHub>().AttachedSessionsOf(userId) == 0);

        await using var second = await GatewayClient.ConnectAsync(Server);
        var reply = await second.CallAsync("gateway.resume", new { session_id = first.SessionId, seq = 1 }, auth: user.Token);
        Assert.That(reply.TryGetProperty("result", out _), Is.True, reply.ToString());
    }

    [Test]
    public async Task ServerShutdown_ClosesGatewayConnectionsWith1012()
    {
        var server = await RpcTestServer.StartAsync();
        var user = await server.NewUserAsync();
        await using var client = await GatewayClient.IdentifyAsync(server, user.Token);
        var stopping = server.DisposeAsync().AsTask();
        Assert.That(await client.WaitForCloseAsync(TimeSpan.FromSeconds(10)), Is.EqualTo(1012));
        Assert.That(client.Ws.Socket.CloseStatusDescription, Is.EqualTo("server restarting: reconnect and resume"));
        await stopping;
    }

    [Test]
    public async Task SecondIdentify_IsRefused_AndTheSocketStaysOpenAndIdentified()
    {
        var user = await Server.NewUserAsync();
        await using var client = await GatewayClient.IdentifyAsync(Server, user.Token);
        var again = await client.CallAsync("users.identify", new { token = user.Token });
        Assert.That(Data(again), Is.EqualTo("this connection already has a gateway session: open a new WebSocket to identify or resume another"));
        var auth = await client.CallAsync("users.auth", new { username = user.Username, password = user.Password });
        Assert.That(Data(auth), Is.EqualTo("this connection already has a gateway session: open a new WebSocket to identify or resume another"));
        var resume = await client.CallAsync("gateway.resume", new { session_id = client.SessionId, seq = 1 });
        Assert.That(Data(resume), Is.EqualTo("this connection already has a gateway session: open a new WebSocket to identify or resume another"));

        Publish(Server, "TEST_EVENT", new { n = 7 }, long.Parse(user.Id));
        Assert.That((await client.NextEventAsync("TEST_EVENT")).GetProperty("d").GetProperty("n").GetInt32(), Is.EqualTo(7));
        var self = await client.CallAsync("users.self");
        Assert.That(self.GetProperty("result").GetProperty("id").GetString(), Is.EqualTo(user.Id));
    }

    [Test]
    public async Task Resume_WithARevokedToken_SaysStop_AndWithAnotherUsersToken_SaysUnknown()
    {
        var user = await Server.NewUserAsync();
        var intruder = await Server.NewUserAsync();
        var userId = long.Parse(user.Id);
        var spare = (await Server.ResultAsync("users.auth", new { username = user.Username, password = user.Password })).GetProperty("token").GetString()!;
        var first = await GatewayClient.IdentifyAsync(Server, user.Token);
        first.Ws.Socket.Abort();
        await WaitUntilAsync(() => Server.Get<GatewayHub>().AttachedSessionsOf(userId) == 0);
        await Server.ResultAsync("users.logout", token: spare);

        await using var second = await GatewayClient.ConnectAsync(Server);
        var revoked = await second.CallAsync("gateway.resume", new { session_id = first.SessionId, seq = 1 }, auth: spare);
        Assert.That(Data(revoked), Is.EqualTo("invalid or revoked token: stop, and log in again with users.auth"));
        var stolen = await second.CallAsync("gateway.resume", new { session_id = first.SessionId, seq = 1 }, auth: intruder.Token);
        Assert.That(Data(stolen), Is.EqualTo("unknown or expired gateway session: identify again and start over from READY"));
        var ok = await second.CallAsync("gateway.resume", new { session_id = first.SessionId, seq = 1 }, auth: user.Token);
        Assert.That(ok.TryGetProperty("result", out _), Is.True, ok.ToString());
    }

    [Test]
    public async Task Resume_WithoutAuth_SaysToSendTheTokenAsAuth_NotAsABearerHeader()
    {
        var user = await Server.NewUserAsync();
        var userId = long.Parse(user.Id);
        var first = await GatewayClient.IdentifyAsync(Server, user.Token);
        first.Ws.Socket.Abort();
        await WaitUntilAsync(() => Server.Get<GatewayHub>().AttachedSessionsOf(userId) == 0);

        // A bearer header on the upgrade would start a new session, on which a resume is refused: the error must not suggest it.
        await using var second = await GatewayClient.ConnectAsync(Server);
        var missing = await second.CallAsync("gateway.resume", new { session_id = first.SessionId, seq = 1 });
        Assert.That(Data(missing), Is.EqualTo("gateway.resume needs the session's token as the call's auth member (a bearer header on the upgrade starts a new session instead)"));
        var ok = await second.CallAsync("gateway.resume", new { session_id = first.SessionId, seq = 1 }, auth: user.Token);
        Assert.That(ok.TryGetProperty("result", out _), Is.True, ok.ToString());
    }

    [Test]
    public async Task Resume_WithAnotherTokenOfTheUser_BindsTheConnectionToTheSessionsOwnToken()
    {
        var user = await Server.NewUserAsync();
        var userId = long.Parse(user.Id);
        var other = (await Server.ResultAsync("users.auth", new { username = user.Username, password = user.Password })).GetProperty("token").GetString()!;
        var first = await GatewayClient.IdentifyAsync(Server, user.Token);
        first.Ws.Socket.Abort();
        await WaitUntilAsync(() => Server.Get<GatewayHub>().AttachedSessionsOf(userId) == 0);

        await using var second = await GatewayClient.ConnectAsync(Server);
        var reply = await second.CallAsync("gateway.resume", new { session_id = first.SessionId, seq = 1 }, auth: other);
        Assert.That(reply.TryGetProperty("result", out _), Is.True, reply.ToString());
        var sessions = (await second.CallAsync("users.sessions")).GetProperty("result");
        var current = sessions.EnumerateArray().Single(s => s.GetProperty("current").GetBoolean());

        // Revoking the session's own token closes the resumed connection: it acts with that token.
        await Server.ResultAsync("users.logout", token: user.Token);
        Assert.That(await second.WaitForCloseAsync(TimeSpan.FromSeconds(10)), Is.EqualTo(4004));
        var remaining = await Server.ResultAsync("users.sessions", token: other);
        Assert.That(remaining.EnumerateArray().Select(s => s.GetProperty("id").GetString()), Does.Not.Contain(current.GetProperty("id").GetString()));
    }

    [Test]
    public async Task UpgradeWithBearer_StartsTheGatewaySession_ReadyIsTheFirstFrame()
    {
        var user = await Server.NewUserAsync();
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + user.Token);
        await socket.ConnectAsync(Server.WebSocketUri, CancellationToken.None);
        var buffer = new byte[256 * 1024];
        var received = await socket.ReceiveAsync(buffer, new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
        var first = JsonDocument.Parse(buffer.AsMemory(0, received.Count)).RootElement;
        Assert.That(first.GetProperty("method").GetString(), Is.EqualTo("gateway.event"));
        Assert.That(first.GetProperty("params").GetProperty("t").GetString(), Is.EqualTo("READY"));
        Assert.That(first.GetProperty("params").GetProperty("s").GetInt64(), Is.EqualTo(1));
        Assert.That(first.GetProperty("params").GetProperty("d").GetProperty("user").GetProperty("id").GetString(), Is.EqualTo(user.Id));
        socket.Abort();
    }

    [Test]
    public async Task UpgradeWithABadBearer_IsRefusedWith401()
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + new string('A', 43));
        socket.Options.CollectHttpResponseDetails = true;
        Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(Server.WebSocketUri, CancellationToken.None));
        Assert.That(socket.HttpStatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        await Task.CompletedTask;
    }

    [Test]
    public async Task Ready_HoldsThePresencesOfObservedUsersWhoAreNotOffline()
    {
        var owner = await Server.NewUserAsync();
        var online = await Server.NewUserAsync();
        var idle = await Server.NewUserAsync();
        var offline = await Server.NewUserAsync();
        var guildId = (await Server.ResultAsync("guilds.create", new { name = "presences" }, owner.Token)).GetProperty("id").GetString();
        var code = (await Server.ResultAsync("guilds.invites.create", new { guild_id = guildId }, owner.Token)).GetProperty("code").GetString();
        foreach (var member in new[] { online, idle, offline })
        {
            await Server.ResultAsync("guilds.join", new { code }, member.Token);
        }

        await using var onlineClient = await GatewayClient.IdentifyAsync(Server, online.Token);
        await using var idleClient = await GatewayClient.IdentifyAsync(Server, idle.Token);
        await idleClient.CallAsync("users.presence", new { status = "IDLE" });
        var offlineClient = await GatewayClient.IdentifyAsync(Server, offline.Token);
        await offlineClient.Ws.Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);

        await using var ownerClient = await GatewayClient.IdentifyAsync(Server, owner.Token);
        var presences = ownerClient.Ready.GetProperty("d").GetProperty("presences").EnumerateArray()
            .ToDictionary(p => p.GetProperty("user_id").GetString()!, p => p.GetProperty("status").GetString());
        Assert.That(presences, Does.ContainKey(online.Id).WithValue("ONLINE"));
        Assert.That(presences, Does.ContainKey(idle.Id).WithValue("IDLE"));
        Assert.That(presences.ContainsKey(owner.Id), Is.False, "the user's own status is in READY's user");
        Assert.That(ownerClient.Ready.GetProperty("d").GetProperty("user").GetProperty("presence").GetString(), Is.EqualTo("ONLINE"));
        if (presences.TryGetValue(offline.Id, out var status))
        {
            Assert.That(status, Is.Not.EqualTo("OFFLINE"), "OFFLINE users are left out (this one may still be in its grace period)");
        }
    }

    [Test]
    public async Task Identify_TheIdentifyingSessionReceivesItsOwnOnlinePresence()
    {
        var user = await Server.NewUserAsync();
        await using var client = await GatewayClient.IdentifyAsync(Server, user.Token);
        var own = await client.NextEventAsync("PRESENCE_UPDATE");
        Assert.That(own.GetProperty("d").GetProperty("user_id").GetString(), Is.EqualTo(user.Id));
        Assert.That(own.GetProperty("d").GetProperty("status").GetString(), Is.EqualTo("ONLINE"));
        Assert.That(own.GetProperty("s").GetInt64(), Is.GreaterThan(1), "after READY");
    }

    [Test]
    public async Task Heartbeat_AClientThatStopsReading_IsDroppedWithinPingIntervalPlusIdleTimeout()
    {
        await using var server = await RpcTestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:PingInterval"] = "00:00:02",
            ["Gateway:IdleTimeout"] = "00:00:02",
        });
        var user = await server.NewUserAsync();
        var userId = long.Parse(user.Id);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.BaseUri.Host, server.BaseUri.Port);
        var stream = tcp.GetStream();
        var handshake = $"GET /rpc HTTP/1.1\r\nHost: {server.BaseUri.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer {user.Token}\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(handshake));
        var buffer = new byte[128];
        var read = await stream.ReadAsync(buffer);
        var lastFrame = Stopwatch.StartNew();
        Assert.That(Encoding.ASCII.GetString(buffer, 0, read), Does.StartWith("HTTP/1.1 101"));

        // The client never reads again, so it never answers a ping.
        await WaitUntilAsync(() => server.Get<GatewayHub>().AttachedSessionsOf(userId) == 1);
        var deadline = TimeSpan.FromSeconds(4);
        while (server.Get<GatewayHub>().AttachedSessionsOf(userId) == 1 && lastFrame.Elapsed < deadline + TimeSpan.FromSeconds(5))
        {
            await Task.Delay(50);
        }

        Assert.That(server.Get<GatewayHub>().AttachedSessionsOf(userId), Is.Zero, "the dead socket was never dropped");
        Assert.That(lastFrame.Elapsed, Is.LessThan(deadline + TimeSpan.FromSeconds(1)), "dropped later than PingInterval + IdleTimeout (with 1 s for a loaded machine)");
        Assert.That(lastFrame.Elapsed, Is.GreaterThan(TimeSpan.FromSeconds(1)), "dropped before a ping could have been answered");
    }
}
