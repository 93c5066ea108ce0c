using System.Collections.Concurrent;
using Rpc.Client;
using Rpc.Contracts.Gateway;
using Rpc.Contracts.Guilds;
using Rpc.Tests.Infrastructure;
using GatewayClient = Rpc.Client.GatewayClient;

namespace Rpc.Tests.Client;

/// <summary>
/// Rpc.Client's GatewayClient against a real server behind a relay the test can cut: it resumes after a
/// dropped connection without skipping a sequence number, identifies again after a server restart (whose
/// sessions lived in memory), and stops on 4004.
/// </summary>
public sealed class GatewayClientTests
{
    private sealed class Recorder
    {
        public ConcurrentQueue<GatewayEvent> Events { get; } = new();

        public ConcurrentQueue<GatewayStateChange> Changes { get; } = new();

        public GatewayClient Attach(GatewayClient client)
        {
            client.EventReceived += e =>
            {
                Events.Enqueue(e);
                return Task.CompletedTask;
            };
            client.StateChanged += Changes.Enqueue;
            return client;
        }

        public int Count(GatewayTransition transition) => Changes.Count(c => c.Transition == transition);

        public int Count(string eventName) => Events.Count(e => e.Name == eventName);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what, Recorder recorder)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out waiting for {what}; events: {string.Join(", ", recorder.Events.Select(e => $"{e.Name}#{e.Sequence}"))}; changes: {string.Join(", ", recorder.Changes)}");
            }

            await Task.Delay(20);
        }
    }

    private static GatewayClient NewClient(TcpProxy proxy, string token) => new(new GatewayClientOptions
    {
        WebSocketUri = proxy.WebSocketUri,
        Token = token,
        BackoffBase = TimeSpan.FromMilliseconds(100),
        BackoffMax = TimeSpan.FromSeconds(1),
    });

    private static async Task<string> JoinableGuildAsync(RpcTestServer server, TestUser owner)
    {
        var guild = await server.ResultAsync("guilds.create", new { name = "gateway client guild" }, owner.Token);
        var invite = await server.ResultAsync("guilds.invites.create", new { guild_id = guild.GetProperty("id").GetString(), max_uses = 0, max_age = 0 }, owner.Token);
        return invite.GetProperty("code").GetString()!;
    }

    [Test]
    public async Task DroppedMidStream_ResumesWithoutSkippingASequenceNumber()
    {
        await using var server = await RpcTestServer.StartAsync();
        await using var proxy = new TcpProxy(server.BaseUri.Port);
        var owner = await server.NewUserAsync("owner");
        var code = await JoinableGuildAsync(server, owner);
        var joiners = new List<TestUser>();
        for (var i = 0; i < 10; i++)
        {
            joiners.Add(await server.NewUserAsync("joiner"));
        }

        var recorder = new Recorder();
        var client = recorder.Attach(NewClient(proxy, owner.Token));
        using var stop = new CancellationTokenSource();
        var run = client.RunAsync(stop.Token);
        await WaitUntilAsync(() => recorder.Count(GatewayTransition.Identified) == 1, "READY", recorder);

        foreach (var joiner in joiners.Take(5))
        {
            await server.ResultAsync("guilds.join", new { code }, joiner.Token);
        }

        await WaitUntilAsync(() => recorder.Count("GUILD_MEMBER_ADD") == 5, "the first five joins", recorder);
        proxy.DropAll();
        foreach (var joiner in joiners.Skip(5))
        {
            await server.ResultAsync("guilds.join", new { code }, joiner.Token);
        }

        await WaitUntilAsync(() => recorder.Count("GUILD_MEMBER_ADD") == 10 && recorder.Count(GatewayTransition.Resumed) >= 1, "the other five joins after the resume", recorder);
        await stop.CancelAsync();
        Assert.That((await run).Reason, Is.EqualTo("cancelled"));

        var sequence = recorder.Events.Select(e => e.Sequence).ToList();
        Assert.That(sequence, Is.EqualTo(Enumerable.Range(1, sequence.Count).Select(i => (long)i)), "every number once, in order");
        Assert.That(recorder.Count(GatewayTransition.Identified), Is.EqualTo(1), "resumed, not identified again");
        Assert.That(recorder.Changes.Where(c => c.Transition == GatewayTransition.Disconnected).Select(c => c.CloseCode), Has.Some.EqualTo(1006));
        var members = recorder.Events.Where(e => e.Name == "GUILD_MEMBER_ADD").Select(e => e.As<GuildMemberEvent>().User.Username);
        Assert.That(members, Is.EqualTo(joiners.Select(j => j.Username)), "typed payloads, in join order");
        Assert.That(recorder.Events.First().Payload, Is.InstanceOf<ReadyPayload>());
    }

    [Test, Category("sqlite")]
    public async Task ServerRestarted_ResumeIsRefused_AndTheClientIdentifiesAgain()
    {
        var directory = Path.Combine(Path.GetTempPath(), "rpc-tests", Guid.NewGuid().ToString("N"));
        var first = await RpcTestServer.StartAsync(directory: directory);
        first.KeepFiles = true;
        await using var proxy = new TcpProxy(first.BaseUri.Port);
        var user = await first.NewUserAsync("restart");
        var recorder = new Recorder();
        var client = recorder.Attach(NewClient(proxy, user.Token));
        using var stop = new CancellationTokenSource();
        var run = client.RunAsync(stop.Token);
        await WaitUntilAsync(() => recorder.Count(GatewayTransition.Identified) == 1, "READY", recorder);
        var firstSession = client.SessionId;

        await first.DisposeAsync();
        await using var second = await RpcTestServer.StartAsync(directory: directory);
        proxy.TargetPort = second.BaseUri.Port;
        await WaitUntilAsync(() => recorder.Count(GatewayTransition.Identified) == 2, "a second READY", recorder);
        await stop.CancelAsync();
        await run;

        Assert.That(recorder.Changes.Where(c => c.Transition == GatewayTransition.Disconnected).Select(c => c.CloseCode).First(), Is.EqualTo(GatewayCloseCodes.ServiceRestart));
        Assert.That(recorder.Count(GatewayTransition.ResumeRefused), Is.EqualTo(1), "it tried to resume first");
        Assert.That(client.SessionId, Is.Not.EqualTo(firstSession));
        Assert.That(recorder.Events.Count(e => e.Name == GatewayEvents.Ready && e.Sequence == 1), Is.EqualTo(2));
    }

    [Test]
    public async Task SessionRevoked_StopsOn4004()
    {
        await using var server = await RpcTestServer.StartAsync();
        await using var proxy = new TcpProxy(server.BaseUri.Port);
        var user = await server.NewUserAsync("revoked");
        var recorder = new Recorder();
        var client = recorder.Attach(NewClient(proxy, user.Token));
        var run = client.RunAsync();
        await WaitUntilAsync(() => recorder.Count(GatewayTransition.Identified) == 1, "READY", recorder);
        await server.ResultAsync("users.logout", null, user.Token);
        var stopped = await run.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.That(stopped.CloseCode, Is.EqualTo(GatewayCloseCodes.SessionRevoked));
        Assert.That(recorder.Count(GatewayTransition.Disconnected), Is.Zero, "no reconnect after 4004");
    }

    [Test]
    public async Task ResumeGatewayUrl_InReady_IsWhereTheClientResumes()
    {
        // Two relays to one server: the client connects through the first; READY names the second, the server's own address.
        await using var front = new TcpProxy(0);
        await using var direct = new TcpProxy(0);
        await using var server = await RpcTestServer.StartAsync(new Dictionary<string, string?> { ["Cluster:ResumeGatewayUrl"] = direct.WebSocketUri.ToString() });
        front.TargetPort = direct.TargetPort = server.BaseUri.Port;
        var user = await server.NewUserAsync();
        var recorder = new Recorder();
        var client = recorder.Attach(NewClient(front, user.Token));
        using var stop = new CancellationTokenSource();
        var run = client.RunAsync(stop.Token);
        await WaitUntilAsync(() => recorder.Count(GatewayTransition.Identified) == 1, "READY", recorder);
        var ready = recorder.Events.First(e => e.Name == GatewayEvents.Ready);
        Assert.That(ready.Data.GetProperty("resume_gateway_url").GetString(), Is.EqualTo(direct.WebSocketUri.ToString()));

        // The first relay now leads nowhere: only a resume at resume_gateway_url can succeed.
        front.TargetPort = 1;
        front.DropAll();
        await WaitUntilAsync(() => recorder.Count(GatewayTransition.Resumed) == 1, "RESUMED through resume_gateway_url", recorder);
        Assert.That(recorder.Count(GatewayTransition.Identified), Is.EqualTo(1), "resumed, not identified again");
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(30));
    }
}
