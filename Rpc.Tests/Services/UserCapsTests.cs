using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Rpc.Server.Services;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Services;

/// <summary>Per-user caps (issue 11): guilds joined, group DMs owned, DMs opened per hour; lowered here so the tests stay small.</summary>
[TestFixture(TransportKind.Http)]
[TestFixture(TransportKind.WebSocket)]
public sealed class UserCapsTests(TransportKind transport)
{
    private readonly FakeTimeProvider clock = new(DateTimeOffset.UtcNow);
    private RpcTestServer server = null!;
    private TransportCalls rpc = null!;

    [OneTimeSetUp]
    public async Task StartAsync() =>
        server = await RpcTestServer.StartAsync(
            new Dictionary<string, string?> { ["UserCaps:GuildsJoined"] = "3", ["UserCaps:GroupDmsOwned"] = "2", ["UserCaps:DmsOpenedPerHour"] = "2" },
            configureServices: s => s.AddSingleton<TimeProvider>(clock));

    [OneTimeTearDown]
    public async Task StopAsync() => await server.DisposeAsync();

    [SetUp]
    public async Task OpenAsync() => rpc = await TransportCalls.OpenAsync(server, transport);

    [TearDown]
    public async Task CloseAsync() => await rpc.DisposeAsync();

    [Test]
    public void Defaults_AreThoseOfTheIssue()
    {
        var defaults = new UserCapsOptions();
        Assert.That((defaults.GuildsJoined, defaults.GroupDmsOwned, defaults.DmsOpenedPerHour), Is.EqualTo((200, 100, 50)));
    }

    [Test]
    public async Task GuildsJoined_CreateAndJoinBeyondTheCap_AreRefused_WithoutSpendingTheInvite()
    {
        var user = await server.NewUserAsync();
        var owner = await server.NewUserAsync();
        var other = (await server.ResultAsync("guilds.create", new { name = "other" }, owner.Token)).GetProperty("id").GetString();
        var code = (await server.ResultAsync("guilds.invites.create", new { guild_id = other, max_uses = 1 }, owner.Token)).GetProperty("code").GetString();
        for (var i = 0; i < 3; i++)
        {
            await rpc.ResultAsync("guilds.create", new { name = $"mine {i}" }, user.Token);
        }

        const string full = "you are in 3 guilds, the most one user may join: leave one first";
        Assert.That(await rpc.ErrorDataAsync("guilds.create", new { name = "one too many" }, user.Token), Is.EqualTo(full));
        Assert.That(await rpc.ErrorDataAsync("guilds.join", new { code }, user.Token), Is.EqualTo(full));
        Assert.That((await rpc.ResultAsync("users.guilds", token: user.Token)).GetArrayLength(), Is.EqualTo(3));

        // The refused join spent nothing: the invite's one use still lets someone else in.
        var newcomer = await server.NewUserAsync();
        await rpc.ResultAsync("guilds.join", new { code }, newcomer.Token);
    }

    [Test]
    public async Task GroupDmsOwned_BeyondTheCap_IsRefused_UntilOneIsLeft()
    {
        var owner = await server.NewUserAsync();
        var friend = await server.NewUserAsync();
        await server.MakeFriendsAsync(owner, friend);
        var first = (await rpc.ResultAsync("users.createGroupDm", new { recipient_ids = new[] { friend.Id } }, owner.Token)).GetProperty("id").GetString();
        await rpc.ResultAsync("users.createGroupDm", new { recipient_ids = new[] { friend.Id } }, owner.Token);
        Assert.That(await rpc.ErrorDataAsync("users.createGroupDm", new { recipient_ids = new[] { friend.Id } }, owner.Token), Is.EqualTo("you own 2 group DMs, the most one user may own: leave one first"));
        Assert.That((await rpc.ResultAsync("users.createGroupDm", new { recipient_ids = new[] { owner.Id } }, friend.Token)).GetProperty("owner_id").GetString(), Is.EqualTo(friend.Id), "the cap is per owner");
        await rpc.ResultAsync("users.groupDm.leave", new { channel_id = first }, owner.Token);
        await rpc.ResultAsync("users.createGroupDm", new { recipient_ids = new[] { friend.Id } }, owner.Token);
    }

    [Test]
    public async Task DmsOpenedPerHour_BeyondTheCap_IsRefused_ExistingDmsStillReturned_AndTheHourPasses()
    {
        var user = await server.NewUserAsync();
        var friends = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => server.NewUserAsync()));
        await server.MakeFriendsAsync(user, friends);
        var firstId = (await rpc.ResultAsync("users.createDm", new { recipient_id = friends[0].Id }, user.Token)).GetProperty("id").GetString();
        await rpc.ResultAsync("users.createDm", new { recipient_id = friends[1].Id }, user.Token);
        Assert.That(await rpc.ErrorDataAsync("users.createDm", new { recipient_id = friends[2].Id }, user.Token),
            Is.EqualTo("rate limited: retry after 3600 seconds: you opened 2 new DMs in the last hour, the most allowed"), "the seconds until the oldest of them leaves the hour");
        for (var minutes = 0; minutes < 30; minutes += 3)
        {
            clock.Advance(TimeSpan.FromMinutes(3));
            await rpc.ResultAsync("users.check", new { username = "x" });
        }

        Assert.That(await rpc.ErrorDataAsync("users.createDm", new { recipient_id = friends[2].Id }, user.Token),
            Is.EqualTo("rate limited: retry after 1800 seconds: you opened 2 new DMs in the last hour, the most allowed"));
        if (transport == TransportKind.Http)
        {
            using var limited = await server.PostAsync(
                $$"""{"jsonrpc":"2.0","method":"users.createDm","auth":"{{user.Token}}","params":{"recipient_id":"{{friends[2].Id}}"},"id":1}""");
            Assert.That(limited.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromSeconds(1800)), "Retry-After, as every rate limit over HTTP");
        }

        Assert.That((await rpc.ResultAsync("users.createDm", new { recipient_id = friends[0].Id }, user.Token)).GetProperty("id").GetString(), Is.EqualTo(firstId));

        // A DM the other side opened does not count for the caller.
        await rpc.ResultAsync("users.createDm", new { recipient_id = user.Id }, friends[2].Token);

        var later = await server.NewUserAsync();
        await server.MakeFriendsAsync(user, later);

        // The hour passes in steps, each with a call, so the WebSocket is never idle long enough to be closed.
        for (var minutes = 0; minutes < 61; minutes += 4)
        {
            clock.Advance(TimeSpan.FromMinutes(4));
            await rpc.ResultAsync("users.check", new { username = "x" });
        }

        await rpc.ResultAsync("users.createDm", new { recipient_id = later.Id }, user.Token);
    }
}
