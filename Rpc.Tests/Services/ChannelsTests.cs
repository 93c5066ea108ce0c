using System.Text.Json;
using Dapper;
using Microsoft.Data.Sqlite;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Services;

public sealed class ChannelsTests
{
    private static RpcTestServer Server => SharedServer.Instance;

    private static string Data(JsonElement error) => error.GetProperty("data").GetString()!;

    private static string[] RecipientIds(JsonElement channel) =>
        channel.GetProperty("recipients").EnumerateArray().Select(u => u.GetProperty("id").GetString()!).ToArray();

    [Test]
    public async Task CreateDm_ReturnsChannel_AndTheSameOneForBothSides()
    {
        var alice = await Server.NewUserAsync();
        var bob = await Server.NewUserAsync();
        await Server.MakeFriendsAsync(alice, bob);
        var channel = await Server.ResultAsync("users.createDm", new { recipient_id = bob.Id }, alice.Token);
        Assert.That(channel.GetProperty("type").GetInt32(), Is.EqualTo(2));
        Assert.That(RecipientIds(channel), Is.EquivalentTo(new[] { alice.Id, bob.Id }));
        Assert.That(channel.GetProperty("owner_id").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(channel.GetProperty("name").ValueKind, Is.EqualTo(JsonValueKind.Null));
        var again = await Server.ResultAsync("users.createDm", new { recipient_id = alice.Id }, bob.Token);
        Assert.That(again.GetProperty("id").GetString(), Is.EqualTo(channel.GetProperty("id").GetString()));
        var list = await Server.ResultAsync("users.channels", token: bob.Token);
        Assert.That(list.EnumerateArray().Select(c => c.GetProperty("id").GetString()), Is.EqualTo(new[] { channel.GetProperty("id").GetString() }));
    }

    [Test]
    public async Task CreateDm_TwentyRacingCalls_MakeOneChannel()
    {
        var alice = await Server.NewUserAsync();
        var bob = await Server.NewUserAsync();
        await Server.MakeFriendsAsync(alice, bob);
        var calls = Enumerable.Range(0, 20).Select(i => i % 2 == 0
            ? Server.ResultAsync("users.createDm", new { recipient_id = bob.Id }, alice.Token)
            : Server.ResultAsync("users.createDm", new { recipient_id = alice.Id }, bob.Token));
        var channels = await Task.WhenAll(calls);
        Assert.That(channels.Select(c => c.GetProperty("id").GetString()).Distinct().Count(), Is.EqualTo(1));
        await using var connection = await Server.OpenDatabaseAsync();
        var count = await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM channel_recipients a JOIN channel_recipients b ON a.channel_id = b.channel_id WHERE a.user_id = @a AND b.user_id = @b",
            new { a = long.Parse(alice.Id), b = long.Parse(bob.Id) });
        Assert.That(count, Is.EqualTo(1));
    }

    [Test]
    public async Task CreateDm_WithSelf_OrUnknownUser_IsRefused()
    {
        var alice = await Server.NewUserAsync();
        Assert.That(Data(await Server.ErrorAsync("users.createDm", new { recipient_id = alice.Id }, alice.Token)), Is.EqualTo("you cannot open a DM with yourself"));
        Assert.That(Data(await Server.ErrorAsync("users.createDm", new { recipient_id = "12345" }, alice.Token)), Is.EqualTo("unknown user"));
    }

    [Test]
    public async Task CreateGroupDm_ReturnsGroup_SeenByEveryRecipient()
    {
        var owner = await Server.NewUserAsync();
        var bob = await Server.NewUserAsync();
        var carol = await Server.NewUserAsync();
        await Server.MakeFriendsAsync(owner, [bob, carol]);
        var group = await Server.ResultAsync("users.createGroupDm", new { recipient_ids = new[] { bob.Id, carol.Id }, name = " Trip " }, owner.Token);
        Assert.That(group.GetProperty("type").GetInt32(), Is.EqualTo(3));
        Assert.That(group.GetProperty("owner_id").GetString(), Is.EqualTo(owner.Id));
        Assert.That(group.GetProperty("name").GetString(), Is.EqualTo("Trip"));
        Assert.That(RecipientIds(group), Is.EquivalentTo(new[] { owner.Id, bob.Id, carol.Id }));
        var carolsList = await Server.ResultAsync("users.channels", token: carol.Token);
        Assert.That(carolsList.EnumerateArray().Single().ToString(), Is.EqualTo(group.ToString()));
        var unnamed = await Server.ResultAsync("users.createGroupDm", new { recipient_ids = new[] { bob.Id } }, owner.Token);
        Assert.That(unnamed.GetProperty("name").ValueKind, Is.EqualTo(JsonValueKind.Null));
    }

    [Test]
    public async Task CreateGroupDm_InvalidRecipients_AreRefused()
    {
        var owner = await Server.NewUserAsync();
        var bob = await Server.NewUserAsync();
        var eleven = Enumerable.Range(0, 11).Select(i => (1000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.That(Data(await Server.ErrorAsync("users.createGroupDm", new { recipient_ids = Array.Empty<string>() }, owner.Token)), Is.EqualTo("recipient_ids must list 1 to 10 users"));
        Assert.That(Data(await Server.ErrorAsync("users.createGroupDm", new { recipient_ids = eleven }, owner.Token)), Is.EqualTo("recipient_ids must list 1 to 10 users"));
        Assert.That(Data(await Server.ErrorAsync("users.createGroupDm", new { recipient_ids = new[] { bob.Id, bob.Id } }, owner.Token)), Is.EqualTo("recipient_ids must not list a user twice"));
        Assert.That(Data(await Server.ErrorAsync("users.createGroupDm", new { recipient_ids = new[] { bob.Id, owner.Id } }, owner.Token)), Is.EqualTo("recipient_ids must not include yourself: you are the group's owner"));
        Assert.That(Data(await Server.ErrorAsync("users.createGroupDm", new { recipient_ids = new[] { bob.Id, "4242" } }, owner.Token)), Is.EqualTo("unknown user 4242"));
        Assert.That(Data(await Server.ErrorAsync("users.createGroupDm", new { recipient_ids = new[] { bob.Id }, name = "  " }, owner.Token)), Is.EqualTo("name must be between 1 and 100 characters"));
        Assert.That((await Server.ResultAsync("users.channels", token: owner.Token)).GetArrayLength(), Is.Zero, "a refused group DM must not be created");
    }

    [Test]
    public async Task CreateGroupDm_TenRecipients_IsAccepted()
    {
        var owner = await Server.NewUserAsync();
        var others = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Server.NewUserAsync()));
        await Server.MakeFriendsAsync(owner, others);
        var group = await Server.ResultAsync("users.createGroupDm", new { recipient_ids = others.Select(o => o.Id).ToArray() }, owner.Token);
        Assert.That(group.GetProperty("recipients").GetArrayLength(), Is.EqualTo(11));
    }

    [Test]
    public async Task Channels_OfOthers_AreNotListed()
    {
        var alice = await Server.NewUserAsync();
        var bob = await Server.NewUserAsync();
        var eve = await Server.NewUserAsync();
        await Server.MakeFriendsAsync(alice, bob);
        await Server.ResultAsync("users.createDm", new { recipient_id = bob.Id }, alice.Token);
        await Server.ResultAsync("users.createGroupDm", new { recipient_ids = new[] { bob.Id } }, alice.Token);
        Assert.That((await Server.ResultAsync("users.channels", token: eve.Token)).GetArrayLength(), Is.Zero);
        Assert.That((await Server.ResultAsync("users.channels", token: bob.Token)).GetArrayLength(), Is.EqualTo(2));
    }

    [Test]
    public async Task Channels_Paginate_ById()
    {
        var owner = await Server.NewUserAsync();
        var others = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Server.NewUserAsync()));
        await Server.MakeFriendsAsync(owner, others);
        var ids = new List<string>();
        foreach (var other in others)
        {
            ids.Add((await Server.ResultAsync("users.createDm", new { recipient_id = other.Id }, owner.Token)).GetProperty("id").GetString()!);
        }

        var page = await Server.ResultAsync("users.channels", new { limit = 2 }, owner.Token);
        var pageIds = page.EnumerateArray().Select(c => c.GetProperty("id").GetString()!).ToList();
        Assert.That(pageIds, Is.EqualTo(ids.Take(2)));
        var next = await Server.ResultAsync("users.channels", new { after = pageIds[^1] }, owner.Token);
        Assert.That(next.EnumerateArray().Select(c => c.GetProperty("id").GetString()), Is.EqualTo(ids.Skip(2)));
    }

    [Test]
    public async Task CreateDm_OverWebSocket_ReturnsTheExistingChannel()
    {
        var alice = await Server.NewUserAsync();
        var bob = await Server.NewUserAsync();
        await Server.MakeFriendsAsync(alice, bob);
        var first = await Server.ResultAsync("users.createDm", new { recipient_id = bob.Id }, alice.Token);
        await using var ws = await WsClient.ConnectAsync(Server.WebSocketUri);
        await ws.CallAsync($$"""{"jsonrpc":"2.0","method":"users.identify","params":{"token":"{{bob.Token}}"},"id":1}""");
        var reply = await ws.CallAsync($$"""{"jsonrpc":"2.0","method":"users.createDm","params":{"recipient_id":"{{alice.Id}}"},"id":2}""");
        Assert.That(reply.GetProperty("result").GetProperty("id").GetString(), Is.EqualTo(first.GetProperty("id").GetString()));
    }
}
