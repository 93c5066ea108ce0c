using System.Text.Json;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Gateway;

/// <summary>What the gateway pushes for relationships, group DM management and self deletion, and what a blocked user never sees.</summary>
public sealed class SafetyEventsTests
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(700);

    private RpcTestServer server = null!;

    [OneTimeSetUp]
    public async Task StartAsync() =>
        server = await RpcTestServer.StartAsync(new Dictionary<string, string?> { ["Gateway:PresenceGracePeriod"] = "00:00:00" });

    [OneTimeTearDown]
    public async Task StopAsync() => await server.DisposeAsync();

    private static JsonElement D(JsonElement e) => e.GetProperty("d");

    [Test]
    public async Task Relationships_RequestAcceptAndRemove_ReachBothSides()
    {
        var alice = await server.NewUserAsync();
        var bob = await server.NewUserAsync();
        await using var aliceGw = await GatewayClient.IdentifyAsync(server, alice.Token);
        await using var bobGw = await GatewayClient.IdentifyAsync(server, bob.Token);

        await server.ResultAsync("users.relationships.add", new { user_id = bob.Id }, alice.Token);
        var sent = D(await aliceGw.NextEventAsync("RELATIONSHIP_ADD"));
        Assert.That((sent.GetProperty("id").GetString(), sent.GetProperty("type").GetInt32()), Is.EqualTo((bob.Id, 4)));
        var incoming = D(await bobGw.NextEventAsync("RELATIONSHIP_ADD"));
        Assert.That((incoming.GetProperty("id").GetString(), incoming.GetProperty("type").GetInt32()), Is.EqualTo((alice.Id, 3)));
        Assert.That(incoming.GetProperty("user").GetProperty("username").GetString(), Is.EqualTo(alice.Username));

        await server.ResultAsync("users.relationships.add", new { user_id = alice.Id }, bob.Token);
        Assert.That(D(await aliceGw.NextEventAsync("RELATIONSHIP_ADD")).GetProperty("type").GetInt32(), Is.EqualTo(1));
        var friendOfBob = D(await bobGw.NextEventAsync("RELATIONSHIP_ADD"));
        Assert.That(friendOfBob.GetProperty("type").GetInt32(), Is.EqualTo(1));
        Assert.That(friendOfBob.GetProperty("user").GetProperty("presence").GetString(), Is.EqualTo("ONLINE"), "a new friend comes with its presence");

        // Friends observe each other: a profile change reaches the friend.
        await server.ResultAsync("users.update", new { display_name = "Alice A." }, alice.Token);
        Assert.That(D(await bobGw.NextEventAsync("USER_UPDATE")).GetProperty("display_name").GetString(), Is.EqualTo("Alice A."));

        await server.ResultAsync("users.relationships.remove", new { user_id = alice.Id }, bob.Token);
        Assert.That(D(await aliceGw.NextEventAsync("RELATIONSHIP_REMOVE")).ToString(), Is.EqualTo($$"""{"id":"{{bob.Id}}","type":1}"""));
        Assert.That(D(await bobGw.NextEventAsync("RELATIONSHIP_REMOVE")).ToString(), Is.EqualTo($$"""{"id":"{{alice.Id}}","type":1}"""));
    }

    [Test]
    public async Task Block_TheBlockedClientReceivesNothing_ThatRevealsIt()
    {
        var alice = await server.NewUserAsync();
        var bob = await server.NewUserAsync();
        var carol = await server.NewUserAsync();
        await server.ShareGuildAsync(alice, bob, carol);
        await using var aliceGw = await GatewayClient.IdentifyAsync(server, alice.Token);
        await using var bobGw = await GatewayClient.IdentifyAsync(server, bob.Token);
        await using var carolGw = await GatewayClient.IdentifyAsync(server, carol.Token);
        await MarkAsync(carol, "m1", aliceGw, bobGw, carolGw);

        await server.ResultAsync("users.relationships.block", new { user_id = bob.Id }, alice.Token);
        await server.ResultAsync("users.presence", new { status = "DND" }, alice.Token);
        await server.ResultAsync("users.update", new { display_name = "Hidden" }, alice.Token);
        Assert.That(D(await carolGw.NextEventAsync("USER_UPDATE")).GetProperty("display_name").GetString(), Is.EqualTo("Hidden"), "a guild mate still sees alice");

        // The gateway delivers events in publication order, so whatever bob would get arrives before carol's marker.
        var toBob = (await MarkAsync(carol, "m2", bobGw, carolGw))[0];
        Assert.That(toBob.Select(e => e.ToString()), Is.Empty, "the blocked user's client must receive nothing");

        // Nor does bob's own activity reach alice.
        await server.ResultAsync("users.presence", new { status = "IDLE" }, bob.Token);
        await server.ResultAsync("users.update", new { display_name = "Bob B." }, bob.Token);
        Assert.That(D(await carolGw.NextEventAsync("USER_UPDATE")).GetProperty("display_name").GetString(), Is.EqualTo("Bob B."));
        var toAlice = (await MarkAsync(carol, "m3", aliceGw))[0];
        Assert.That(toAlice.Where(e => D(e).ToString().Contains(bob.Id, StringComparison.Ordinal)).Select(e => e.GetProperty("t").GetString()), Is.EqualTo(new[] { "RELATIONSHIP_ADD" }),
            "alice hears of bob only through her own block");
    }

    [Test]
    public async Task Block_OfAFriend_LooksToTheBlockedClientExactlyLikeAnUnfriend()
    {
        var alice = await server.NewUserAsync();
        var bob = await server.NewUserAsync();
        var dave = await server.NewUserAsync();
        var erin = await server.NewUserAsync();
        await server.MakeFriendsAsync(alice, bob);
        await server.MakeFriendsAsync(dave, erin);
        await using var bobGw = await GatewayClient.IdentifyAsync(server, bob.Token);
        await using var erinGw = await GatewayClient.IdentifyAsync(server, erin.Token);

        await server.ResultAsync("users.relationships.block", new { user_id = bob.Id }, alice.Token);
        await server.ResultAsync("users.relationships.remove", new { user_id = erin.Id }, dave.Token);
        var toBlocked = D(await bobGw.NextEventAsync("RELATIONSHIP_REMOVE"));
        var toUnfriended = D(await erinGw.NextEventAsync("RELATIONSHIP_REMOVE"));
        Assert.That(toBlocked.ToString().Replace(alice.Id, "X", StringComparison.Ordinal), Is.EqualTo(toUnfriended.ToString().Replace(dave.Id, "X", StringComparison.Ordinal)));
        Assert.That((await server.ResultAsync("users.relationships", token: bob.Token)).GetArrayLength(), Is.Zero);
        Assert.That(await bobGw.HasEventAsync(Quiet), Is.False, "nothing more follows");
    }

    [Test]
    public async Task GroupDm_Management_SendsRecipientAndChannelEvents()
    {
        var owner = await server.NewUserAsync();
        var bob = await server.NewUserAsync();
        var carol = await server.NewUserAsync();
        await server.MakeFriendsAsync(owner, [bob, carol]);
        var groupId = (await server.ResultAsync("users.createGroupDm", new { recipient_ids = new[] { bob.Id } }, owner.Token)).GetProperty("id").GetString();
        await using var bobGw = await GatewayClient.IdentifyAsync(server, bob.Token);
        await using var carolGw = await GatewayClient.IdentifyAsync(server, carol.Token);

        await server.ResultAsync("users.groupDm.addRecipient", new { channel_id = groupId, user_id = carol.Id }, owner.Token);
        var added = D(await bobGw.NextEventAsync("CHANNEL_RECIPIENT_ADD"));
        Assert.That((added.GetProperty("channel_id").GetString(), added.GetProperty("user").GetProperty("id").GetString()), Is.EqualTo((groupId, carol.Id)));
        Assert.That(D(await carolGw.NextEventAsync("CHANNEL_CREATE")).GetProperty("id").GetString(), Is.EqualTo(groupId));

        await server.ResultAsync("users.groupDm.update", new { channel_id = groupId, name = "Renamed" }, owner.Token);
        Assert.That(D(await bobGw.NextEventAsync("CHANNEL_UPDATE")).GetProperty("name").GetString(), Is.EqualTo("Renamed"));
        Assert.That(D(await carolGw.NextEventAsync("CHANNEL_UPDATE")).GetProperty("name").GetString(), Is.EqualTo("Renamed"));

        await server.ResultAsync("users.groupDm.removeRecipient", new { channel_id = groupId, user_id = carol.Id }, owner.Token);
        Assert.That(D(await carolGw.NextEventAsync("CHANNEL_DELETE")).ToString(), Is.EqualTo($$"""{"id":"{{groupId}}","type":3}"""));
        Assert.That(D(await bobGw.NextEventAsync("CHANNEL_RECIPIENT_REMOVE")).GetProperty("user").GetProperty("id").GetString(), Is.EqualTo(carol.Id));

        await server.ResultAsync("users.groupDm.leave", new { channel_id = groupId }, owner.Token);
        var left = D(await bobGw.NextEventAsync("CHANNEL_RECIPIENT_REMOVE"));
        Assert.That((left.GetProperty("user").GetProperty("id").GetString(), left.GetProperty("owner_id").GetString()), Is.EqualTo((owner.Id, bob.Id)));
        Assert.That(D(await bobGw.NextEventAsync("CHANNEL_UPDATE")).GetProperty("owner_id").GetString(), Is.EqualTo(bob.Id));
    }

    [Test]
    public async Task CloseDm_And_Ready_CarryTheCallersView()
    {
        var alice = await server.NewUserAsync();
        var bob = await server.NewUserAsync();
        await server.MakeFriendsAsync(alice, bob);
        var dmId = (await server.ResultAsync("users.createDm", new { recipient_id = bob.Id }, alice.Token)).GetProperty("id").GetString();
        await using (var gw = await GatewayClient.IdentifyAsync(server, alice.Token))
        {
            var ready = D(gw.Ready);
            Assert.That(ready.GetProperty("relationships").EnumerateArray().Single().GetProperty("id").GetString(), Is.EqualTo(bob.Id));
            Assert.That(ready.GetProperty("private_channels").GetArrayLength(), Is.EqualTo(1));
            await server.ResultAsync("users.closeDm", new { channel_id = dmId }, alice.Token);
            Assert.That(D(await gw.NextEventAsync("CHANNEL_DELETE")).ToString(), Is.EqualTo($$"""{"id":"{{dmId}}","type":2}"""));
        }

        await using var again = await GatewayClient.IdentifyAsync(server, alice.Token);
        Assert.That(D(again.Ready).GetProperty("private_channels").GetArrayLength(), Is.Zero, "a closed DM is left out of READY");
    }

    /// <summary>
    /// <paramref name="marker"/> renames itself to <paramref name="name"/>; returns, for each client (its
    /// guild mates), every event that arrived before that USER_UPDATE.
    /// </summary>
    private async Task<List<JsonElement>[]> MarkAsync(TestUser marker, string name, params GatewayClient[] clients)
    {
        await server.ResultAsync("users.update", new { display_name = name }, marker.Token);
        var before = new List<JsonElement>[clients.Length];
        for (var i = 0; i < clients.Length; i++)
        {
            before[i] = [];
            while (true)
            {
                var e = await clients[i].NextEventAsync();
                if (e.GetProperty("t").GetString() == "USER_UPDATE" && D(e).GetProperty("display_name").GetString() == name)
                {
                    break;
                }

                before[i].Add(e);
            }
        }

        return before;
    }
}
