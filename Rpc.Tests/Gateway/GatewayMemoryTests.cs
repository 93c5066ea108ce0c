using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Rpc.Server.Gateway;
using Rpc.Server.Security;
using Rpc.Server.Services;
using Rpc.Tests.Infrastructure;
using Rpc.Server.Events;

namespace Rpc.Tests.Gateway;

/// <summary>Issue #11: what the gateway holds per connection and per session is bounded, and closes go ahead of events.</summary>
public sealed class GatewayMemoryTests
{
    private static void Publish(RpcTestServer server, string name, object payload, params long[] userIds) =>
        server.Get<IEventBus>().Publish(new DispatchEvent(name, payload, new EventAudience.Users(userIds)));

    /// <summary>A connection that keeps what the gateway hands it.</summary>
    private sealed class RecordingConnection : IGatewayConnection
    {
        public ConcurrentQueue<(EventFrame Frame, long Seq)> Sent { get; } = new();

        public bool TrySend(EventFrame frame, long seq)
        {
            Sent.Enqueue((frame, seq));
            return true;
        }

        public void Close(int code, string reason, bool discardQueued)
        {
        }
    }

    [Test]
    public async Task Event_IsSerializedOnce_AndTheSameFrameIsSharedByEveryReceiver()
    {
        var server = SharedServer.Instance;
        var users = new[] { await server.NewUserAsync(), await server.NewUserAsync(), await server.NewUserAsync() };
        var hub = server.Get<GatewayHub>();
        var connections = new List<RecordingConnection>();
        var sessions = new List<GatewaySession>();
        foreach (var (user, i) in users.Select((u, i) => (u, i)))
        {
            var connection = new RecordingConnection();
            connections.Add(connection);
            sessions.Add((await hub.StartAsync(connection, user.Token, new Caller(long.Parse(user.Id), 1_000_000 + i, 0), CancellationToken.None))!);
        }

        try
        {
            Publish(server, "TEST_SHARED", new { text = new string('z', 10_000) }, users.Select(u => long.Parse(u.Id)).ToArray());
            await GatewaySessionTests.WaitUntilAsync(() => connections.All(c => c.Sent.Any(s => s.Frame.Name == "TEST_SHARED")));
            var frames = connections.Select(c => c.Sent.Single(s => s.Frame.Name == "TEST_SHARED").Frame).ToList();
            Assert.That(frames.Distinct().Count(), Is.EqualTo(1), "one frame object for every receiver, not a copy each");
            var buffer = new byte[frames[0].MaxLength];
            var length = frames[0].Write(7, buffer);
            var written = JsonDocument.Parse(buffer.AsMemory(0, length)).RootElement.GetProperty("params");
            Assert.That(written.GetProperty("s").GetInt64(), Is.EqualTo(7), "each receiver's sequence number is written at send time");
            Assert.That(written.GetProperty("d").GetProperty("text").GetString(), Has.Length.EqualTo(10_000));
        }
        finally
        {
            sessions.ForEach(hub.End);
        }
    }

    [Test]
    public async Task ReplayBuffer_IsBoundedInBytes_AsWellAsInCount()
    {
        await using var server = await RpcTestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:ReplayBufferSize"] = "200",
            ["Gateway:ReplayBufferBytes"] = "20000",
        });
        var user = await server.NewUserAsync();
        var userId = long.Parse(user.Id);
        var first = await GatewayClient.IdentifyAsync(server, user.Token);
        var sessionId = first.SessionId;
        var lastSeen = first.Ready.GetProperty("s").GetInt64();
        first.Ws.Socket.Abort();
        await first.DisposeAsync();
        await GatewaySessionTests.WaitUntilAsync(() => server.Get<GatewayHub>().AttachedSessionsOf(userId) == 0);

        // Ten events of 5 KB: far fewer than 200, but four times the 20,000 bytes kept.
        var padding = new string('p', 5000);
        var lastSeq = server.Get<GatewayHub>().Find(sessionId, userId)!.LastSeq;
        for (var i = 0; i < 10; i++)
        {
            Publish(server, "TEST_EVENT", new { n = i, padding }, userId);
        }

        await GatewaySessionTests.WaitUntilAsync(() => server.Get<GatewayHub>().Find(sessionId, userId)!.LastSeq >= lastSeq + 10);
        await using var second = await GatewayClient.ConnectAsync(server);
        var refused = await second.CallAsync("gateway.resume", new { session_id = sessionId, seq = lastSeen }, auth: user.Token);
        Assert.That(refused.GetProperty("error").GetProperty("data").GetString(), Does.StartWith("the events after this seq are no longer kept"), "the oldest events no longer fit in the bytes kept");
    }

    [Test]
    public async Task Close_GoesAheadOfQueuedEvents()
    {
        await using var server = await RpcTestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:MaxQueuedBytes"] = (256L * 1024 * 1024).ToString(),
            ["Gateway:SendTimeout"] = "00:01:00",
        });
        var user = await server.NewUserAsync();
        var userId = long.Parse(user.Id);
        await using var client = await GatewayClient.IdentifyAsync(server, user.Token);

        // 500 events of 64 KB: far more than the kernel's buffers take while the client reads nothing.
        var padding = new string('e', 64 * 1024);
        for (var i = 0; i < 500; i++)
        {
            Publish(server, "TEST_EVENT", new { n = i, padding }, userId);
        }

        await Task.Delay(500);
        await server.ResultAsync("users.logout", token: user.Token);
        var events = 0;
        while (await client.Ws.ReceiveAsync(TimeSpan.FromSeconds(10)) is not null)
        {
            events++;
        }

        Assert.That((int?)client.Ws.Socket.CloseStatus, Is.EqualTo(4004));
        Assert.That(events, Is.LessThan(500), "the close did not wait for every queued event");
    }

    [Test]
    public async Task EventsToAClientThatDoesNotRead_WithinTheQueueBounds_CloseItAfterTheSendTimeout()
    {
        await using var server = await RpcTestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:MaxQueuedBytes"] = (256L * 1024 * 1024).ToString(),
            ["Gateway:SendTimeout"] = "00:00:01",
        });
        var user = await server.NewUserAsync();
        var userId = long.Parse(user.Id);
        await using var client = await GatewayClient.IdentifyAsync(server, user.Token);
        var padding = new string('t', 512 * 1024);
        for (var i = 0; i < 60; i++)
        {
            Publish(server, "TEST_EVENT", new { n = i, padding }, userId);
        }

        // 30 MB in 60 frames: within both bounds, but more than the kernel's buffers, so a send stalls.
        await GatewaySessionTests.WaitUntilAsync(() => server.Get<GatewayHub>().AttachedSessionsOf(userId) == 0);
        await GatewaySessionTests.WaitUntilAsync(() => CapturingLoggerProvider.Lines.Any(l => l.Contains("slow consumer: a frame did not go out within", StringComparison.Ordinal)));
    }

    [Test]
    public async Task DemotedStaff_StopsReceivingStaffEvents_AtOnce()
    {
        var server = SharedServer.Instance;
        var staff = await server.NewStaffAsync();
        await using var bot = await GatewayClient.IdentifyAsync(server, staff.Token);
        Assert.That((await bot.CallAsync("gateway.staffEvents", new { enabled = true })).GetProperty("result").GetBoolean(), Is.True);
        server.Get<IEventBus>().Publish(new DispatchEvent("TEST_STAFF", new { n = 1 }, new EventAudience.Staff()));
        Assert.That((await bot.NextEventAsync("TEST_STAFF")).GetProperty("d").GetProperty("n").GetInt32(), Is.EqualTo(1));

        await server.Get<StaffRoster>().SetStaffAsync(staff.Username, false, CancellationToken.None);
        server.Get<IEventBus>().Publish(new DispatchEvent("TEST_STAFF", new { n = 2 }, new EventAudience.Staff()));
        Assert.That(await bot.HasEventAsync("TEST_STAFF", TimeSpan.FromSeconds(1)), Is.False, "no staff event after the demotion");
    }
}
