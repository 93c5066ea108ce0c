using System.Text.Json;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Services;

/// <summary>users.relationships*, users.settings.*: Discord's friends, requests and blocks, over both transports.</summary>
[TestFixture(TransportKind.Http)]
[TestFixture(TransportKind.WebSocket)]
public sealed class RelationshipsTests(TransportKind transport)
{
    private static RpcTestServer Server => SharedServer.Instance;

    private TransportCalls rpc = null!;

    [SetUp]
    public async Task OpenAsync() => rpc = await TransportCalls.OpenAsync(Server, transport);

    [TearDown]
    public async Task CloseAsync() => await rpc.DisposeAsync();

    private async Task<Dictionary<string, int>> TypesAsync(TestUser user) =>
        (await rpc.ResultAsync("users.relationships", token: user.Token)).EnumerateArray()
            .ToDictionary(r => r.GetProperty("id").GetString()!, r => r.GetProperty("type").GetInt32());

    [Test]
    public async Task Add_SendsRequest_AddingBackAccepts_BothSeeFriends()
    {
        var alice = await Server.NewUserAsync();
        var bob = await Server.NewUserAsync();
        var sent = await rpc.ResultAsync("users.relationships.add", new { user_id = bob.Id }, alice.Token);
        Assert.That(sent.GetProperty("type").GetInt32(), Is.EqualTo(4));
        Assert.That(sent.GetProperty("id").GetString(), Is.EqualTo(bob.Id));
        Assert.That(sent.GetProperty("user").GetProperty("username").GetString(), Is.EqualTo(bob.Username));
        Assert.That(sent.GetProperty("since").GetString(), Is.Not.Empty);
        Assert.That(await TypesAsync(bob), Is.EqualTo(new Dictionary<string, int> { [alice.Id] = 3 }));

        // Sending again changes nothing.
        Assert.That((await rpc.ResultAsync("users.relationships.add", new { user_id = bob.Id }, alice.Token)).GetProperty("type").GetInt32(), Is.EqualTo(4));

        var accepted = await rpc.ResultAsync("users.relationships.add", new { user_id = alice.Id }, bob.Token);
        Assert.That(accepted.GetProperty("type").GetInt32(), Is.EqualTo(1));
        Assert.That(await TypesAsync(alice), Is.EqualTo(new Dictionary<string, int> { [bob.Id] = 1 }));
        Assert.That(await TypesAsync(bob), Is.EqualTo(new Dictionary<string, int> { [alice.Id] = 1 }));
    }

    [Test]
    public async Task Add_ByTaggedUsername_FindsTheUser()
    {
        var alice = await Server.NewUserAsync();
        var bob = await Server.NewUserAsync();
        var discriminator = (await rpc.ResultAsync("users.self", token: bob.Token)).GetProperty("discriminator").GetString();
        var sent = await rpc.ResultAsync("users.relationships.add", new { username = $"{bob.Username}#{discriminator}" }, alice.Token);
        Assert.That(sent.GetProperty("id").GetString(), Is.EqualTo(bob.Id));
        var wrong = discriminator == "9999" ? "9998" : "9999";
        Assert.That(await rpc.ErrorDataAsync("users.relationships.add", new { username = $"{bob.Username}#{wrong}" }, alice.Token), Is.EqualTo("unknown user"));
    }

    [Test]
    public async Task Add_BadTargets_AreRefused()
    {
        var alice = await Server.NewUserAsync();
        var bob = await Server.NewUserAsync();
        var both = await rpc.ErrorAsync("users.relationships.add", new { user_id = bob.Id, username = bob.Username }, alice.Token);
        Assert.That(both.GetProperty("code").GetInt32(), Is.EqualTo(-32602));
        Assert.That(both.GetProperty("data").GetString(), Is.EqualTo("give exactly one of user_id or username"));
        Assert.That((await rpc.ErrorAsync("users.relationships.add", new { }, alice.Token)).GetProperty("code").GetInt32(), Is.EqualTo(-32602));
        Assert.That(await rpc.ErrorDataAsync("users.relationships.add", new { user_id = alice.Id }, alice.Token), Is.EqualTo("you cannot have a relationship with yourself"));
        Assert.That(await rpc.ErrorDataAsync("users.relationships.add", new { user_id = "4242" }, alice.Token), Is.EqualTo("unknown user"));
        Assert.That(await rpc.ErrorDataAsync("users.relationships.remove", new { user_id = bob.Id }, alice.Token), Is.EqualTo("you have no relationship with this user"));
    }

    [TestCase("unfriend")]
    [TestCase("cancel")]
    [TestCase("decline")]
    public async Task Remove_EndsTheRelationship_OnBothSides(string how)
    {
        var alice = await Server.NewUserAsync();
        var bob = await Server.NewUserAsync();
        await rpc.ResultAsync("users.relationships.add", new { user_id = bob.Id }, alice.Token);
        if (how == "unfriend")
        {
            await rpc.ResultAsync("users.relationships.add", new { user_id = alice.Id }, bob.Token);
        }

        var (remover, other) = how == "decline" ? (bob, alice) : (alice, bob);
        Assert.That((await rpc.ResultAsync("users.relationships.remove", new { user_id = other.Id }, remover.Token)).GetBoolean(), Is.True);
        Assert.That(await TypesAsync(alice), Is.Empty);
        Assert.That(await TypesAsync(bob), Is.Empty);
    }

    [Test]
    public async Task Block_EndsFriendship_IsSeenOnlyByTheBlocker_AndRefusesRequestsLikeASetting()
    {
        var alice = await Server.NewUserAsync();
        var bob = await Server.NewUserAsync();
        var shy = await Server.NewUserAsync();
        await Server.MakeFriendsAsync(alice, bob);
        var blocked = await rpc.ResultAsync("users.relationships.block", new { user_id = bob.Id }, alice.Token);
        Assert.That(blocked.GetProperty("type").GetInt32(), Is.EqualTo(2));
        Assert.That(await TypesAsync(alice), Is.EqualTo(new Dictionary<string, int> { [bob.Id] = 2 }));
        Assert.That(await TypesAsync(bob), Is.Empty, "the blocked user only sees the friendship gone");

        // The blocked user's request is refused with the words a 'nobody' setting gives: the block stays hidden.
        await rpc.ResultAsync("users.settings.update", new { friend_requests_from = "nobody" }, shy.Token);
        var byBlock = await rpc.ErrorAsync("users.relationships.add", new { user_id = alice.Id }, bob.Token);
        var bySetting = await rpc.ErrorAsync("users.relationships.add", new { user_id = shy.Id }, bob.Token);
        Assert.That(byBlock.ToString(), Is.EqualTo(bySetting.ToString()));
        Assert.That(byBlock.GetProperty("data").GetString(), Is.EqualTo("this user is not accepting friend requests from you"));
        Assert.That(await TypesAsync(bob), Is.Empty);

        Assert.That(await rpc.ErrorDataAsync("users.relationships.add", new { user_id = bob.Id }, alice.Token), Is.EqualTo("you have blocked this user: unblock them before sending a friend request"));
        Assert.That((await rpc.ResultAsync("users.relationships.block", new { user_id = bob.Id }, alice.Token)).GetProperty("type").GetInt32(), Is.EqualTo(2), "blocking again changes nothing");

        // Unblocking removes only the block; a request then goes through.
        await rpc.ResultAsync("users.relationships.remove", new { user_id = bob.Id }, alice.Token);
        Assert.That(await TypesAsync(alice), Is.Empty);
        Assert.That((await rpc.ResultAsync("users.relationships.add", new { user_id = alice.Id }, bob.Token)).GetProperty("type").GetInt32(), Is.EqualTo(4));
    }

    [Test]
    public async Task Block_OfARequester_RemovesItsRequest_AndMutualBlocksStayIndependent()
    {
        var alice = await Server.NewUserAsync();
        var bob = await Server.NewUserAsync();
        await rpc.ResultAsync("users.relationships.add", new { user_id = alice.Id }, bob.Token);
        await rpc.ResultAsync("users.relationships.block", new { user_id = bob.Id }, alice.Token);
        Assert.That(await TypesAsync(bob), Is.Empty, "the request looks declined");
        await rpc.ResultAsync("users.relationships.block", new { user_id = alice.Id }, bob.Token);
        await rpc.ResultAsync("users.relationships.remove", new { user_id = bob.Id }, alice.Token);
        Assert.That(await TypesAsync(bob), Is.EqualTo(new Dictionary<string, int> { [alice.Id] = 2 }), "alice unblocking leaves bob's own block");
    }

    [Test]
    public async Task Settings_DefaultsAndUpdates_GovernFriendRequests()
    {
        var alice = await Server.NewUserAsync();
        var mate = await Server.NewUserAsync();
        var stranger = await Server.NewUserAsync();
        await Server.ShareGuildAsync(alice, mate);
        var defaults = await rpc.ResultAsync("users.settings.get", token: alice.Token);
        Assert.That(defaults.GetProperty("allow_dms_from_guild_members").GetBoolean(), Is.True);
        Assert.That(defaults.GetProperty("friend_requests_from").GetString(), Is.EqualTo("everyone"));

        var updated = await rpc.ResultAsync("users.settings.update", new { friend_requests_from = "mutual_guilds" }, alice.Token);
        Assert.That(updated.GetProperty("friend_requests_from").GetString(), Is.EqualTo("mutual_guilds"));
        Assert.That(updated.GetProperty("allow_dms_from_guild_members").GetBoolean(), Is.True, "fields not sent keep their value");
        Assert.That((await rpc.ResultAsync("users.settings.get", token: alice.Token)).ToString(), Is.EqualTo(updated.ToString()));
        Assert.That(await rpc.ErrorDataAsync("users.relationships.add", new { user_id = alice.Id }, stranger.Token), Is.EqualTo("this user is not accepting friend requests from you"));
        Assert.That((await rpc.ResultAsync("users.relationships.add", new { user_id = alice.Id }, mate.Token)).GetProperty("type").GetInt32(), Is.EqualTo(4));

        // An incoming request can still be accepted whatever the setting says about new ones.
        await rpc.ResultAsync("users.settings.update", new { friend_requests_from = "nobody", allow_dms_from_guild_members = false }, alice.Token);
        Assert.That((await rpc.ResultAsync("users.relationships.add", new { user_id = mate.Id }, alice.Token)).GetProperty("type").GetInt32(), Is.EqualTo(1));

        var invalid = await rpc.ErrorAsync("users.settings.update", new { friend_requests_from = "friends_of_friends" }, alice.Token);
        Assert.That(invalid.GetProperty("code").GetInt32(), Is.EqualTo(-32602));
        Assert.That((await rpc.ResultAsync("users.settings.get", token: alice.Token)).GetProperty("friend_requests_from").GetString(), Is.EqualTo("nobody"));
    }

    [Test]
    public async Task Add_TwoUsersRequestingEachOtherAtOnce_EndAsFriends()
    {
        var pairs = await Task.WhenAll(Enumerable.Range(0, 10).Select(async _ => (await Server.NewUserAsync(), await Server.NewUserAsync())));
        await using var other = await TransportCalls.OpenAsync(Server, transport);
        await Task.WhenAll(pairs.Select(p => Task.WhenAll(
            rpc.ResultAsync("users.relationships.add", new { user_id = p.Item2.Id }, p.Item1.Token),
            other.ResultAsync("users.relationships.add", new { user_id = p.Item1.Id }, p.Item2.Token))));
        foreach (var (a, b) in pairs)
        {
            Assert.That(await TypesAsync(a), Is.EqualTo(new Dictionary<string, int> { [b.Id] = 1 }));
            Assert.That(await TypesAsync(b), Is.EqualTo(new Dictionary<string, int> { [a.Id] = 1 }));
        }
    }

    [Test]
    public async Task Relationships_ShowFriendsPresence_Only()
    {
        var alice = await Server.NewUserAsync();
        var friend = await Server.NewUserAsync();
        var requester = await Server.NewUserAsync();
        await Server.MakeFriendsAsync(alice, friend);
        await rpc.ResultAsync("users.relationships.add", new { user_id = alice.Id }, requester.Token);
        await rpc.ResultAsync("users.presence", new { status = "DND" }, friend.Token);
        await rpc.ResultAsync("users.presence", new { status = "DND" }, requester.Token);
        var list = (await rpc.ResultAsync("users.relationships", token: alice.Token)).EnumerateArray().ToDictionary(r => r.GetProperty("id").GetString()!, r => r.GetProperty("user").GetProperty("presence"));
        Assert.That(list[friend.Id].GetString(), Is.EqualTo("DND"));
        Assert.That(list[requester.Id].ValueKind, Is.EqualTo(JsonValueKind.Null));
    }
}
