using Dapper;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Services;

/// <summary>users.groupDm.*: adding friends, removing, leaving, renaming, over both transports.</summary>
[TestFixture(TransportKind.Http)]
[TestFixture(TransportKind.WebSocket)]
public sealed class GroupDmsTests(TransportKind transport)
{
    private static RpcTestServer Server => SharedServer.Instance;

    private TransportCalls rpc = null!;

    [SetUp]
    public async Task OpenAsync() => rpc = await TransportCalls.OpenAsync(Server, transport);

    [TearDown]
    public async Task CloseAsync() => await rpc.DisposeAsync();

    private static string[] RecipientIds(System.Text.Json.JsonElement channel) =>
        channel.GetProperty("recipients").EnumerateArray().Select(u => u.GetProperty("id").GetString()!).ToArray();

    private async Task<string> NewGroupAsync(TestUser owner, params TestUser[] friends)
    {
        await Server.MakeFriendsAsync(owner, friends);
        return (await rpc.ResultAsync("users.createGroupDm", new { recipient_ids = friends.Select(f => f.Id).ToArray(), name = "group" }, owner.Token)).GetProperty("id").GetString()!;
    }

    [Test]
    public async Task AddRecipient_TakesTheAddersFriends_UpToElevenUsers()
    {
        var owner = await Server.NewUserAsync();
        var bob = await Server.NewUserAsync();
        var bobsFriend = await Server.NewUserAsync();
        var ownersFriend = await Server.NewUserAsync();
        var groupId = await NewGroupAsync(owner, bob);
        await Server.MakeFriendsAsync(bob, bobsFriend);
        await Server.MakeFriendsAsync(owner, ownersFriend);

        // Any recipient may add its own friends, not someone else's.
        Assert.That(await rpc.ErrorDataAsync("users.groupDm.addRecipient", new { channel_id = groupId, user_id = ownersFriend.Id }, bob.Token),
            Is.EqualTo($"user {ownersFriend.Id} is not your friend: only friends can be added to a group DM"));
        var added = await rpc.ResultAsync("users.groupDm.addRecipient", new { channel_id = groupId, user_id = bobsFriend.Id }, bob.Token);
        Assert.That(RecipientIds(added), Is.EquivalentTo(new[] { owner.Id, bob.Id, bobsFriend.Id }));
        Assert.That((await rpc.ResultAsync("users.groupDm.addRecipient", new { channel_id = groupId, user_id = bobsFriend.Id }, bob.Token)).GetProperty("recipients").GetArrayLength(), Is.EqualTo(3), "adding again changes nothing");

        var more = await Task.WhenAll(Enumerable.Range(0, 9).Select(_ => Server.NewUserAsync()));
        await Server.MakeFriendsAsync(owner, more);
        foreach (var user in more[..8])
        {
            await rpc.ResultAsync("users.groupDm.addRecipient", new { channel_id = groupId, user_id = user.Id }, owner.Token);
        }

        Assert.That(await rpc.ErrorDataAsync("users.groupDm.addRecipient", new { channel_id = groupId, user_id = more[8].Id }, owner.Token), Is.EqualTo("a group DM holds at most 11 users: its owner and 10 recipients"));
        var outsider = await Server.NewUserAsync();
        Assert.That(await rpc.ErrorDataAsync("users.groupDm.addRecipient", new { channel_id = groupId, user_id = owner.Id }, outsider.Token), Is.EqualTo("unknown channel"));
    }

    [Test]
    public async Task RemoveRecipient_OwnerOnly()
    {
        var owner = await Server.NewUserAsync();
        var bob = await Server.NewUserAsync();
        var carol = await Server.NewUserAsync();
        var outsider = await Server.NewUserAsync();
        var groupId = await NewGroupAsync(owner, bob, carol);
        Assert.That(await rpc.ErrorDataAsync("users.groupDm.removeRecipient", new { channel_id = groupId, user_id = carol.Id }, bob.Token), Is.EqualTo("only the group DM's owner may do this"));
        Assert.That(await rpc.ErrorDataAsync("users.groupDm.removeRecipient", new { channel_id = groupId, user_id = owner.Id }, owner.Token), Is.EqualTo("you cannot remove yourself: leave with users.groupDm.leave"));
        Assert.That(await rpc.ErrorDataAsync("users.groupDm.removeRecipient", new { channel_id = groupId, user_id = outsider.Id }, owner.Token), Is.EqualTo("that user is not in this group DM"));
        var after = await rpc.ResultAsync("users.groupDm.removeRecipient", new { channel_id = groupId, user_id = carol.Id }, owner.Token);
        Assert.That(RecipientIds(after), Is.EquivalentTo(new[] { owner.Id, bob.Id }));
        Assert.That((await rpc.ResultAsync("users.channels", token: carol.Token)).GetArrayLength(), Is.Zero);
    }

    [Test]
    public async Task Leave_PassesOwnershipToTheLongestStanding_AndTheLastOneOutDeletesTheGroup()
    {
        var owner = await Server.NewUserAsync();
        var late = await Server.NewUserAsync();
        var early = await Server.NewUserAsync();
        var groupId = await NewGroupAsync(owner, early);
        await Server.MakeFriendsAsync(owner, late);
        await rpc.ResultAsync("users.groupDm.addRecipient", new { channel_id = groupId, user_id = late.Id }, owner.Token);

        Assert.That((await rpc.ResultAsync("users.groupDm.leave", new { channel_id = groupId }, owner.Token)).GetBoolean(), Is.True);
        var seen = (await rpc.ResultAsync("users.channels", token: late.Token)).EnumerateArray().Single();
        Assert.That(seen.GetProperty("owner_id").GetString(), Is.EqualTo(early.Id), "the recipient who joined first owns it now, whatever the ids");
        Assert.That(RecipientIds(seen), Is.EquivalentTo(new[] { early.Id, late.Id }));
        Assert.That((await rpc.ResultAsync("users.channels", token: owner.Token)).GetArrayLength(), Is.Zero);

        await rpc.ResultAsync("users.groupDm.leave", new { channel_id = groupId }, early.Token);
        await rpc.ResultAsync("users.groupDm.leave", new { channel_id = groupId }, late.Token);
        await using var connection = await Server.OpenDatabaseAsync();
        Assert.That(await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM channels WHERE id = @id", new { id = long.Parse(groupId) }), Is.Zero);
        Assert.That(await rpc.ErrorDataAsync("users.groupDm.leave", new { channel_id = groupId }, late.Token), Is.EqualTo("unknown channel"));
    }

    [Test]
    public async Task Update_RenamesForTheOwnerOnly()
    {
        var owner = await Server.NewUserAsync();
        var bob = await Server.NewUserAsync();
        var groupId = await NewGroupAsync(owner, bob);
        Assert.That(await rpc.ErrorDataAsync("users.groupDm.update", new { channel_id = groupId, name = "mine" }, bob.Token), Is.EqualTo("only the group DM's owner may do this"));
        Assert.That(await rpc.ErrorDataAsync("users.groupDm.update", new { channel_id = groupId, name = " " }, owner.Token), Is.EqualTo("name must be between 1 and 100 characters"));
        Assert.That((await rpc.ResultAsync("users.groupDm.update", new { channel_id = groupId, name = " Road trip " }, owner.Token)).GetProperty("name").GetString(), Is.EqualTo("Road trip"));
        Assert.That((await rpc.ResultAsync("users.channels", token: bob.Token)).EnumerateArray().Single().GetProperty("name").GetString(), Is.EqualTo("Road trip"));
        Assert.That((await rpc.ResultAsync("users.groupDm.update", new { channel_id = groupId, name = (string?)null }, owner.Token)).GetProperty("name").ValueKind, Is.EqualTo(System.Text.Json.JsonValueKind.Null));

        var alice = await Server.NewUserAsync();
        await Server.MakeFriendsAsync(owner, alice);
        var dmId = (await rpc.ResultAsync("users.createDm", new { recipient_id = alice.Id }, owner.Token)).GetProperty("id").GetString();
        Assert.That(await rpc.ErrorDataAsync("users.groupDm.update", new { channel_id = dmId, name = "x" }, owner.Token), Is.EqualTo("this channel is not a group DM"));
    }
}
