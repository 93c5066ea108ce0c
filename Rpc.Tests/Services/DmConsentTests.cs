using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Services;

/// <summary>Who may open a DM or a group DM with whom (issue 14), and the seed's <c>type</c>, over both transports.</summary>
[TestFixture(TransportKind.Http)]
[TestFixture(TransportKind.WebSocket)]
public sealed class DmConsentTests(TransportKind transport)
{
    private const string Refused = "this user is not accepting direct messages from you";

    private static RpcTestServer Server => SharedServer.Instance;

    private TransportCalls rpc = null!;

    [SetUp]
    public async Task OpenAsync() => rpc = await TransportCalls.OpenAsync(Server, transport);

    [TearDown]
    public async Task CloseAsync() => await rpc.DisposeAsync();

    [Test]
    public async Task CreateDm_Strangers_AreRefused_FriendsAndGuildMatesMay()
    {
        var alice = await Server.NewUserAsync();
        var stranger = await Server.NewUserAsync();
        var friend = await Server.NewUserAsync();
        var mate = await Server.NewUserAsync();
        await Server.MakeFriendsAsync(alice, friend);
        await Server.ShareGuildAsync(mate, alice);
        Assert.That(await rpc.ErrorDataAsync("users.createDm", new { recipient_id = stranger.Id }, alice.Token), Is.EqualTo(Refused));
        Assert.That(await rpc.ErrorDataAsync("users.createDm", new { recipient_id = alice.Id }, stranger.Token), Is.EqualTo(Refused));
        Assert.That((await rpc.ResultAsync("users.createDm", new { recipient_id = friend.Id }, alice.Token)).GetProperty("type").GetInt32(), Is.EqualTo(2));
        Assert.That((await rpc.ResultAsync("users.createDm", new { recipient_id = alice.Id }, mate.Token)).GetProperty("type").GetInt32(), Is.EqualTo(2));
        Assert.That((await rpc.ResultAsync("users.channels", token: stranger.Token)).GetArrayLength(), Is.Zero);
    }

    [Test]
    public async Task CreateDm_GuildMate_IsRefused_WhenTheRecipientDisallows_ButFriendsStillMay()
    {
        var alice = await Server.NewUserAsync();
        var mate = await Server.NewUserAsync();
        var friend = await Server.NewUserAsync();
        await Server.ShareGuildAsync(alice, mate, friend);
        await Server.MakeFriendsAsync(alice, friend);
        await rpc.ResultAsync("users.settings.update", new { allow_dms_from_guild_members = false }, alice.Token);
        Assert.That(await rpc.ErrorDataAsync("users.createDm", new { recipient_id = alice.Id }, mate.Token), Is.EqualTo(Refused));
        await rpc.ResultAsync("users.createDm", new { recipient_id = alice.Id }, friend.Token);

        // The setting is the recipient's: alice may still open a DM with her guild mate.
        await rpc.ResultAsync("users.createDm", new { recipient_id = mate.Id }, alice.Token);
    }

    [Test]
    public async Task CreateDm_AcrossABlock_IsRefusedBothWays_WithTheSameWords_AndTheExistingDmStaysListed()
    {
        var alice = await Server.NewUserAsync();
        var bob = await Server.NewUserAsync();
        var guildId = await Server.ShareGuildAsync(alice, bob);
        await Server.MakeFriendsAsync(alice, bob);
        var dm = await rpc.ResultAsync("users.createDm", new { recipient_id = bob.Id }, alice.Token);
        await rpc.ResultAsync("users.presence", new { status = "DND" }, alice.Token);
        await rpc.ResultAsync("users.presence", new { status = "DND" }, bob.Token);

        await rpc.ResultAsync("users.relationships.block", new { user_id = bob.Id }, alice.Token);
        var blockedSide = await rpc.ErrorAsync("users.createDm", new { recipient_id = alice.Id }, bob.Token);
        Assert.That(blockedSide.GetProperty("data").GetString(), Is.EqualTo(Refused));
        Assert.That(await rpc.ErrorDataAsync("users.createDm", new { recipient_id = bob.Id }, alice.Token), Is.EqualTo(Refused));

        // Listed on both sides, but neither sees the other's presence any more, there, in users.get or in
        // guilds.members. Guild mates always see a status, so null would tell the blocked user of the block:
        // each side looks OFFLINE to the other, as an invisible user does.
        foreach (var (viewer, other) in new[] { (alice, bob), (bob, alice) })
        {
            var listed = (await rpc.ResultAsync("users.channels", token: viewer.Token)).EnumerateArray().Single();
            Assert.That(listed.GetProperty("id").GetString(), Is.EqualTo(dm.GetProperty("id").GetString()));
            var shown = listed.GetProperty("recipients").EnumerateArray().Single(u => u.GetProperty("id").GetString() == other.Id);
            Assert.That(shown.GetProperty("presence").GetString(), Is.EqualTo("OFFLINE"), "users.channels");
            Assert.That((await rpc.ResultAsync("users.get", new { user_id = other.Id }, viewer.Token)).GetProperty("presence").GetString(), Is.EqualTo("OFFLINE"), "users.get");
            var member = (await rpc.ResultAsync("guilds.members", new { guild_id = guildId }, viewer.Token)).EnumerateArray().Single(m => m.GetProperty("user").GetProperty("id").GetString() == other.Id);
            Assert.That(member.GetProperty("user").GetProperty("presence").GetString(), Is.EqualTo("OFFLINE"), "guilds.members");
        }
    }

    [Test]
    public async Task Block_BetweenDmPartnersWithNoGuild_ShowsNoPresence_AsAnUnfriendDoes()
    {
        var alice = await Server.NewUserAsync();
        var bob = await Server.NewUserAsync();
        await Server.MakeFriendsAsync(alice, bob);
        await rpc.ResultAsync("users.createDm", new { recipient_id = bob.Id }, alice.Token);
        await rpc.ResultAsync("users.relationships.block", new { user_id = bob.Id }, alice.Token);
        Assert.That((await rpc.ResultAsync("users.get", new { user_id = alice.Id }, bob.Token)).GetProperty("presence").ValueKind, Is.EqualTo(JsonValueKind.Null), "what a former friend sees");
        var listed = (await rpc.ResultAsync("users.channels", token: bob.Token)).EnumerateArray().Single();
        Assert.That(listed.GetProperty("recipients").EnumerateArray().Single(u => u.GetProperty("id").GetString() == alice.Id).GetProperty("presence").ValueKind, Is.EqualTo(JsonValueKind.Null));
    }

    [Test]
    public async Task CreateGroupDm_TakesOnlyFriends()
    {
        var owner = await Server.NewUserAsync();
        var friend = await Server.NewUserAsync();
        var mate = await Server.NewUserAsync();
        await Server.MakeFriendsAsync(owner, friend);
        await Server.ShareGuildAsync(owner, mate);
        Assert.That(await rpc.ErrorDataAsync("users.createGroupDm", new { recipient_ids = new[] { friend.Id, mate.Id } }, owner.Token),
            Is.EqualTo($"user {mate.Id} is not your friend: only friends can be added to a group DM"));
        Assert.That((await rpc.ResultAsync("users.channels", token: friend.Token)).GetArrayLength(), Is.Zero, "a refused group DM is not created");
        var group = await rpc.ResultAsync("users.createGroupDm", new { recipient_ids = new[] { friend.Id }, type = 3 }, owner.Token);
        Assert.That(group.GetProperty("type").GetInt32(), Is.EqualTo(3));
    }

    [Test]
    public async Task Type_TheSeedsValueIsAccepted_OthersAreInvalidParams()
    {
        var alice = await Server.NewUserAsync();
        var bob = await Server.NewUserAsync();
        await Server.MakeFriendsAsync(alice, bob);
        Assert.That((await rpc.ResultAsync("users.createDm", new { recipient_id = bob.Id, type = 2 }, alice.Token)).GetProperty("type").GetInt32(), Is.EqualTo(2));
        var dmWrong = await rpc.ErrorAsync("users.createDm", new { recipient_id = bob.Id, type = 3 }, alice.Token);
        Assert.That(dmWrong.GetProperty("code").GetInt32(), Is.EqualTo(-32602));
        Assert.That(dmWrong.GetProperty("data").GetString(), Is.EqualTo("type must be 2 (a DM) for users.createDm"));
        var groupWrong = await rpc.ErrorAsync("users.createGroupDm", new { recipient_ids = new[] { bob.Id }, type = 2 }, alice.Token);
        Assert.That(groupWrong.GetProperty("code").GetInt32(), Is.EqualTo(-32602));
        Assert.That(groupWrong.GetProperty("data").GetString(), Is.EqualTo("type must be 3 (a group DM) for users.createGroupDm"));
        Assert.That((await rpc.ErrorAsync("users.createDm", new { recipient_id = bob.Id, type = "2" }, alice.Token)).GetProperty("code").GetInt32(), Is.EqualTo(-32602));
    }

    [Test]
    public async Task CloseDm_HidesItUntilOpenedAgain_OnlyForTheCaller()
    {
        var alice = await Server.NewUserAsync();
        var bob = await Server.NewUserAsync();
        await Server.MakeFriendsAsync(alice, bob);
        var dmId = (await rpc.ResultAsync("users.createDm", new { recipient_id = bob.Id }, alice.Token)).GetProperty("id").GetString();
        Assert.That((await rpc.ResultAsync("users.closeDm", new { channel_id = dmId }, alice.Token)).GetBoolean(), Is.True);
        Assert.That((await rpc.ResultAsync("users.channels", token: alice.Token)).GetArrayLength(), Is.Zero);
        Assert.That((await rpc.ResultAsync("users.channels", token: bob.Token)).GetArrayLength(), Is.EqualTo(1), "the other side keeps it");
        Assert.That((await rpc.ResultAsync("users.createDm", new { recipient_id = bob.Id }, alice.Token)).GetProperty("id").GetString(), Is.EqualTo(dmId));
        Assert.That((await rpc.ResultAsync("users.channels", token: alice.Token)).EnumerateArray().Single().GetProperty("id").GetString(), Is.EqualTo(dmId));

        var groupId = (await rpc.ResultAsync("users.createGroupDm", new { recipient_ids = new[] { bob.Id } }, alice.Token)).GetProperty("id").GetString();
        Assert.That(await rpc.ErrorDataAsync("users.closeDm", new { channel_id = groupId }, alice.Token), Is.EqualTo("users.closeDm closes a one-to-one DM: leave a group DM with users.groupDm.leave"));
        var eve = await Server.NewUserAsync();
        Assert.That(await rpc.ErrorDataAsync("users.closeDm", new { channel_id = dmId }, eve.Token), Is.EqualTo("unknown channel"));
    }
}

/// <summary>A block racing a DM creation never leaves a DM the blocker did not consent to.</summary>
public sealed class DmConsentRaceTests
{
    [Test]
    public async Task BlockRacingCreateDm_NeverLeavesADmMadeAfterTheBlock()
    {
        // Every reading of the clock moves it on, so the order of the two transactions shows in their times.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow) { AutoAdvanceAmount = TimeSpan.FromMilliseconds(1) };
        await using var server = await RpcTestServer.StartAsync(configureServices: s => s.AddSingleton<TimeProvider>(clock));
        var refused = 0;
        var created = 0;
        for (var i = 0; i < 12; i++)
        {
            var alice = await server.NewUserAsync();
            var bob = await server.NewUserAsync();
            await server.ShareGuildAsync(bob, alice);
            var block = server.CallAsync("users.relationships.block", new { user_id = alice.Id }, bob.Token);
            var dm = server.CallAsync("users.createDm", new { recipient_id = bob.Id }, alice.Token);
            await Task.WhenAll(block, dm);
            Assert.That((await block).TryGetProperty("result", out _), Is.True, (await block).ToString());
            await using var connection = await server.OpenDatabaseAsync();
            var blockedAt = await connection.ExecuteScalarAsync<long>("SELECT since FROM relationships WHERE user_id = @bob AND other_id = @alice AND type = 2", new { bob = long.Parse(bob.Id), alice = long.Parse(alice.Id) });
            var dmCreatedAt = await connection.ExecuteScalarAsync<long?>("SELECT created_at FROM channels WHERE dm_key = @key", new { key = string.CompareOrdinal(alice.Id.PadLeft(20), bob.Id.PadLeft(20)) < 0 ? $"{alice.Id}:{bob.Id}" : $"{bob.Id}:{alice.Id}" });
            if ((await dm).TryGetProperty("error", out var error))
            {
                Assert.That(error.GetProperty("data").GetString(), Is.EqualTo("this user is not accepting direct messages from you"));
                Assert.That(dmCreatedAt, Is.Null);
                refused++;
            }
            else
            {
                Assert.That(dmCreatedAt, Is.Not.Null.And.LessThan(blockedAt), "a DM may exist only if it was made before the block");
                created++;
            }

            // Whatever the order, the blocked user cannot open it now.
            Assert.That((await server.ErrorAsync("users.createDm", new { recipient_id = bob.Id }, alice.Token)).GetProperty("data").GetString(), Is.EqualTo("this user is not accepting direct messages from you"));
        }

        TestContext.Out.WriteLine($"{refused} refused, {created} made before the block");
    }
}
