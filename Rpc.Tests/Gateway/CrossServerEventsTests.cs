using Dapper;
using Rpc.Server.Gateway;
using Rpc.Tests.Infrastructure;
using Rpc.Server.Events;

namespace Rpc.Tests.Gateway;

/// <summary>
/// Two servers on one PostgreSQL database (the PostgreSQL run of the suite only: on SQLite one process
/// serves the database and the bus is in-process): what one publishes reaches connections on the other.
/// </summary>
public sealed class CrossServerEventsTests
{
    private RpcTestServer first = null!;
    private RpcTestServer second = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        if (RpcTestServer.Postgres is null)
        {
            Assert.Ignore("several servers share a database on PostgreSQL only; run.sh runs these in its PostgreSQL run");
        }

        first = await RpcTestServer.StartAsync();
        second = await RpcTestServer.StartAsync(directory: first.Directory);
        second.KeepFiles = true;
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (second is not null)
        {
            await second.DisposeAsync();
            await first.DisposeAsync();
        }
    }

    [Test]
    public async Task Logout_OnOneServer_ClosesTheSessionsGatewayOnTheOther()
    {
        var user = await first.NewUserAsync();
        await using var gateway = await GatewayClient.IdentifyAsync(first, user.Token);
        Assert.That((await second.ResultAsync("users.logout", token: user.Token)).GetBoolean(), Is.True);
        Assert.That(await gateway.WaitForCloseAsync(TimeSpan.FromSeconds(10)), Is.EqualTo(4004));
    }

    [Test]
    public async Task Rename_OnOneServer_ReachesGuildMatesOnTheOther()
    {
        var alice = await second.NewUserAsync();
        var bob = await second.NewUserAsync();
        var guild = await second.ResultAsync("guilds.create", new { name = "Across" }, alice.Token);
        var invite = await second.ResultAsync("guilds.invites.create", new { guild_id = guild.GetProperty("id").GetString() }, alice.Token);
        await second.ResultAsync("guilds.join", new { code = invite.GetProperty("code").GetString() }, bob.Token);
        await using var bobGateway = await GatewayClient.IdentifyAsync(first, bob.Token);

        var renamed = "x" + Guid.NewGuid().ToString("N")[..12];
        await second.ResultAsync("users.update", new { username = renamed }, alice.Token);
        var update = (await bobGateway.NextEventAsync("USER_UPDATE")).GetProperty("d");
        Assert.That(update.GetProperty("id").GetString(), Is.EqualTo(alice.Id));
        Assert.That(update.GetProperty("username").GetString(), Is.EqualTo(renamed));
    }

    [Test]
    public async Task Logout_BehindAFullEventQueue_StillClosesTheGatewayOnTheOtherServer()
    {
        await using var here = await RpcTestServer.StartAsync();
        await using var there = await RpcTestServer.StartAsync(directory: here.Directory);
        there.KeepFiles = true;
        var user = await here.NewUserAsync();
        await using var gateway = await GatewayClient.IdentifyAsync(there, user.Token);

        // More events than the bus queues for the other servers (100,000): the queue is full, events are dropped.
        var bus = here.Get<IEventBus>();
        for (var i = 0; i < 150_000; i++)
        {
            bus.Publish(new DispatchEvent("TEST_FLOOD", new { i }, new EventAudience.Users([])));
        }

        Assert.That((await here.ResultAsync("users.logout", token: user.Token)).GetBoolean(), Is.True);
        Assert.That(await gateway.WaitForCloseAsync(TimeSpan.FromSeconds(10)), Is.EqualTo(4004), "the close took its own path, ahead of the events");
    }

    [Test]
    public async Task Registration_OnOneServer_IsSeenByTheOthersCachedCheckAtOnce()
    {
        var name = "cs" + Guid.NewGuid().ToString("N")[..12];
        Assert.That((await first.ResultAsync("users.check", new { username = name })).GetBoolean(), Is.False, "now cached on the first server");
        await second.ResultAsync("users.create", new { username = name, password = "password1" });

        var deadline = DateTime.UtcNow.AddSeconds(2);
        bool taken;
        while (!(taken = (await first.ResultAsync("users.check", new { username = name })).GetBoolean()) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.That(taken, Is.True, "the cached answer outlived the registration by more than the bus's delay");
    }

    [Test]
    public async Task FailedLogins_OnOneServer_CountOnTheOther()
    {
        var settings = new Dictionary<string, string?>
        {
            ["RateLimits:LoginPerAccountAndAddress:Burst"] = "3",
            ["RateLimits:LoginPerAccountAndAddress:RefillSeconds"] = "60",
        };
        await using var here = await RpcTestServer.StartAsync(settings);
        await using var there = await RpcTestServer.StartAsync(settings, directory: here.Directory);
        there.KeepFiles = true;
        var user = await there.NewUserAsync();
        for (var i = 0; i < 3; i++)
        {
            var wrong = await there.ErrorAsync("users.auth", new { username = user.Username, password = "wrong password" });
            Assert.That(wrong.GetProperty("data").GetString(), Is.EqualTo("invalid password"));
        }

        // The charges travel by NOTIFY, which takes milliseconds.
        await Task.Delay(300);
        var limited = await here.ErrorAsync("users.auth", new { username = user.Username, password = user.Password });
        // The two servers run on the real clock, so a second may pass between the charges and this call.
        Assert.That(limited.GetProperty("data").GetString(), Does.Match(@"^rate limited: retry after (5\d|60) seconds: too many failed login attempts\z"));
    }

    [Test]
    public async Task MessageOverTheNotifyLimit_TravelsThroughTheOutbox()
    {
        var user = await first.NewUserAsync();
        await using var gateway = await GatewayClient.IdentifyAsync(first, user.Token);
        var text = new string('x', 20_000);
        second.Get<IEventBus>().Publish(new DispatchEvent("TEST_LARGE", new { text }, new EventAudience.Users([long.Parse(user.Id)])));

        var large = await gateway.NextEventAsync("TEST_LARGE");
        Assert.That(large.GetProperty("d").GetProperty("text").GetString(), Is.EqualTo(text));
        await using var connection = await first.OpenDatabaseAsync();
        Assert.That(await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM bus_outbox WHERE LENGTH(body) > 20000"), Is.GreaterThanOrEqualTo(1));
    }

    [Test]
    [NonParallelizable]
    public async Task ListeningConnectionKilled_TheServerListensAgain_AndMessagesCrossOnceMore()
    {
        var user = await first.NewUserAsync();
        await using var gateway = await GatewayClient.IdentifyAsync(first, user.Token);
        await using (var connection = await first.OpenDatabaseAsync())
        {
            var killed = await connection.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%') k");
            Assert.That(killed, Is.EqualTo(2), "one listening connection per server");
        }

        // Messages sent before the servers listen again wait in the outbox (ClusterTests proves none is lost); keep sending until one arrives.
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var sending = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                second.Get<IEventBus>().Publish(new DispatchEvent("TEST_AGAIN", new { n = 1 }, new EventAudience.Users([long.Parse(user.Id)])));
                await Task.Delay(200);
            }
        });
        var again = await gateway.NextEventAsync("TEST_AGAIN", TimeSpan.FromSeconds(15));
        await stop.CancelAsync();
        await sending;
        Assert.That(again.GetProperty("d").GetProperty("n").GetInt32(), Is.EqualTo(1));
    }

    [Test]
    public async Task OwnMessage_IsDeliveredOnce()
    {
        var user = await first.NewUserAsync();
        await using var gateway = await GatewayClient.IdentifyAsync(first, user.Token);
        first.Get<IEventBus>().Publish(new DispatchEvent("TEST_ONCE", new { n = 1 }, new EventAudience.Users([long.Parse(user.Id)])));

        Assert.That(await gateway.HasEventAsync("TEST_ONCE", TimeSpan.FromSeconds(5)), Is.True);
        Assert.That(await gateway.HasEventAsync("TEST_ONCE", TimeSpan.FromSeconds(1)), Is.False, "its own notification came back and was delivered again");
    }
}
