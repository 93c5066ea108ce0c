using System.Text.Json;
using Dapper;
using Microsoft.Data.Sqlite;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Services;

public sealed class ProfileTests
{
    private static RpcTestServer Server => SharedServer.Instance;

    private static string Data(JsonElement error) => error.GetProperty("data").GetString()!;

    private static string NewName() => "p" + Guid.NewGuid().ToString("N")[..12];

    [Test]
    public async Task Get_ReturnsPublicObject_WithoutPresenceForStrangers()
    {
        var alice = await Server.NewUserAsync();
        var bob = await Server.NewUserAsync();
        await Server.ResultAsync("users.presence", new { status = "DND" }, bob.Token);
        var seen = await Server.ResultAsync("users.get", new { user_id = bob.Id }, alice.Token);
        Assert.That(seen.GetProperty("id").GetString(), Is.EqualTo(bob.Id));
        Assert.That(seen.GetProperty("username").GetString(), Is.EqualTo(bob.Username));
        Assert.That(seen.EnumerateObject().Select(p => p.Name), Is.EquivalentTo(new[] { "id", "username", "discriminator", "display_name", "avatar", "flags", "presence" }));
        Assert.That(seen.GetProperty("presence").ValueKind, Is.EqualTo(JsonValueKind.Null), "no shared guild or DM: presence hidden");
    }

    [Test]
    public async Task Get_UnknownUser_IsRefused()
    {
        var alice = await Server.NewUserAsync();
        Assert.That(Data(await Server.ErrorAsync("users.get", new { user_id = "99" }, alice.Token)), Is.EqualTo("unknown user"));
    }

    [Test]
    public async Task Presence_VisibleToGuildMates_InvisibleShownAsOffline_OwnStatusReal()
    {
        var alice = await Server.NewUserAsync();
        var bob = await Server.NewUserAsync();
        var stranger = await Server.NewUserAsync();
        var guildId = await GuildsTests.NewGuildAsync(alice);
        await Server.ResultAsync("guilds.join", new { code = await GuildsTests.NewInviteAsync(alice, guildId) }, bob.Token);

        Assert.That((await Server.ResultAsync("users.presence", new { status = "IDLE" }, alice.Token)).GetString(), Is.EqualTo("IDLE"));
        Assert.That((await Server.ResultAsync("users.get", new { user_id = alice.Id }, bob.Token)).GetProperty("presence").GetString(), Is.EqualTo("IDLE"));

        Assert.That((await Server.ResultAsync("users.presence", new { status = "INVISIBLE" }, alice.Token)).GetString(), Is.EqualTo("INVISIBLE"));
        Assert.That((await Server.ResultAsync("users.get", new { user_id = alice.Id }, bob.Token)).GetProperty("presence").GetString(), Is.EqualTo("OFFLINE"));
        Assert.That((await Server.ResultAsync("users.self", token: alice.Token)).GetProperty("presence").GetString(), Is.EqualTo("INVISIBLE"));
        Assert.That((await Server.ResultAsync("users.get", new { user_id = alice.Id }, alice.Token)).GetProperty("presence").GetString(), Is.EqualTo("INVISIBLE"));
        Assert.That((await Server.ResultAsync("users.get", new { user_id = alice.Id }, stranger.Token)).GetProperty("presence").ValueKind, Is.EqualTo(JsonValueKind.Null));
    }

    [Test]
    public async Task Presence_VisibleToFriends_InChannelRecipients()
    {
        var alice = await Server.NewUserAsync();
        var bob = await Server.NewUserAsync();
        await Server.MakeFriendsAsync(alice, bob);
        await Server.ResultAsync("users.presence", new { status = "INVISIBLE" }, alice.Token);
        await Server.ResultAsync("users.createDm", new { recipient_id = alice.Id }, bob.Token);
        Assert.That((await Server.ResultAsync("users.get", new { user_id = alice.Id }, bob.Token)).GetProperty("presence").GetString(), Is.EqualTo("OFFLINE"));
        var bobsView = (await Server.ResultAsync("users.channels", token: bob.Token)).EnumerateArray().Single();
        var aliceInBobsView = bobsView.GetProperty("recipients").EnumerateArray().Single(u => u.GetProperty("id").GetString() == alice.Id);
        Assert.That(aliceInBobsView.GetProperty("presence").GetString(), Is.EqualTo("OFFLINE"));
        var alicesView = (await Server.ResultAsync("users.channels", token: alice.Token)).EnumerateArray().Single();
        var aliceInOwnView = alicesView.GetProperty("recipients").EnumerateArray().Single(u => u.GetProperty("id").GetString() == alice.Id);
        Assert.That(aliceInOwnView.GetProperty("presence").GetString(), Is.EqualTo("INVISIBLE"));
    }

    [TestCase("ONLINE")]
    [TestCase("DND")]
    [TestCase("OFFLINE")]
    public async Task Presence_ReturnsTheNewStatus(string status)
    {
        var user = await Server.NewUserAsync();
        Assert.That((await Server.ResultAsync("users.presence", new { status }, user.Token)).GetString(), Is.EqualTo(status));
        Assert.That((await Server.ResultAsync("users.self", token: user.Token)).GetProperty("presence").GetString(), Is.EqualTo(status));
    }

    [Test]
    public async Task Presence_UnknownStatus_IsInvalidParams()
    {
        var user = await Server.NewUserAsync();
        var error = await Server.ErrorAsync("users.presence", new { status = "AWAY" }, user.Token);
        Assert.That(error.GetProperty("code").GetInt32(), Is.EqualTo(-32602));
        Assert.That(Data(error), Does.Contain("ONLINE, IDLE, DND, INVISIBLE, OFFLINE"));
    }

    [Test]
    public async Task Update_ChangesEveryField_AndSelfShowsIt()
    {
        var user = await Server.NewUserAsync();
        var name = NewName();
        var updated = await Server.ResultAsync("users.update", new { username = name, discriminator = "0042", display_name = "  Ünïcode Name ", avatar = "abc123_-" }, user.Token);
        Assert.That(updated.GetProperty("username").GetString(), Is.EqualTo(name));
        Assert.That(updated.GetProperty("discriminator").GetString(), Is.EqualTo("0042"));
        Assert.That(updated.GetProperty("display_name").GetString(), Is.EqualTo("Ünïcode Name"));
        Assert.That(updated.GetProperty("avatar").GetString(), Is.EqualTo("abc123_-"));
        var self = await Server.ResultAsync("users.self", token: user.Token);
        // users.self is the updated object plus what only the caller sees (mfa_enabled).
        Assert.That(self.ToString(), Is.EqualTo(updated.ToString()[..^1] + ",\"mfa_enabled\":false}"));
        // The new name logs in; the old one no longer does.
        await Server.ResultAsync("users.auth", new { username = name, password = user.Password });
        Assert.That(Data(await Server.ErrorAsync("users.auth", new { username = user.Username, password = user.Password })), Is.EqualTo("invalid password"));
        var cleared = await Server.ResultAsync("users.update", new { avatar = "" }, user.Token);
        Assert.That(cleared.GetProperty("avatar").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(cleared.GetProperty("display_name").GetString(), Is.EqualTo("Ünïcode Name"), "fields left out keep their value");
    }

    [Test]
    public async Task Update_TakenUsername_IsRefused_AndNothingChanges()
    {
        var alice = await Server.NewUserAsync();
        var bob = await Server.NewUserAsync();
        var before = await Server.ResultAsync("users.self", token: bob.Token);
        var error = await Server.ErrorAsync("users.update", new { username = alice.Username.ToUpperInvariant(), display_name = "changed" }, bob.Token);
        Assert.That(Data(error), Is.EqualTo($"User with username {alice.Username.ToUpperInvariant()} already exists"));
        Assert.That((await Server.ResultAsync("users.self", token: bob.Token)).ToString(), Is.EqualTo(before.ToString()));
    }

    [Test]
    public async Task Update_DiscriminatorClash_IsRefused_AndNothingChanges()
    {
        // Two accounts share a username key only when one gave up its claim (a deleted account):
        // its tag stays reserved, so taking that discriminator for the name clashes.
        var user = await Server.NewUserAsync();
        var name = NewName();
        await using (var connection = await Server.OpenDatabaseAsync())
        {
            await connection.ExecuteAsync("""
                INSERT INTO users (id, username, username_key, username_claim, discriminator, display_name, flags, password_hash, created_at, deleted_at)
                VALUES (@id, @name, @name, NULL, '0007', @name, 0, 'x', 0, 1)
                """, new { id = Random.Shared.NextInt64(1, long.MaxValue / 2), name });
        }

        var before = await Server.ResultAsync("users.self", token: user.Token);
        var error = await Server.ErrorAsync("users.update", new { username = name, discriminator = "0007", display_name = "changed" }, user.Token);
        Assert.That(Data(error), Is.EqualTo($"{name}#0007 is already taken"));
        Assert.That((await Server.ResultAsync("users.self", token: user.Token)).ToString(), Is.EqualTo(before.ToString()));
        // Without an explicit discriminator the rename keeps or re-picks a free one.
        var renamed = await Server.ResultAsync("users.update", new { username = name }, user.Token);
        Assert.That(renamed.GetProperty("discriminator").GetString(), Is.Not.EqualTo("0007"));
    }

    [Test]
    public async Task Update_RenameKeepsDiscriminator_WhenFreeForTheNewName()
    {
        var user = await Server.NewUserAsync();
        var before = await Server.ResultAsync("users.self", token: user.Token);
        var renamed = await Server.ResultAsync("users.update", new { username = NewName() }, user.Token);
        Assert.That(renamed.GetProperty("discriminator").GetString(), Is.EqualTo(before.GetProperty("discriminator").GetString()));
    }

    [TestCase("discriminator", "0000", "discriminator must be 4 digits from 0001 to 9999")]
    [TestCase("discriminator", "12a4", "discriminator must be 4 digits from 0001 to 9999")]
    [TestCase("discriminator", "12345", "discriminator must be 4 digits from 0001 to 9999")]
    [TestCase("display_name", "", "display_name must be between 1 and 32 characters")]
    [TestCase("display_name", "   ", "display_name must not be only white space or contain control characters")]
    [TestCase("display_name", "bell\u0007", "display_name must not be only white space or contain control characters")]
    [TestCase("display_name", "abcdefghijklmnopqrstuvwxyz0123456", "display_name must be between 1 and 32 characters")]
    [TestCase("avatar", "not a hash!", "avatar must be 1 to 128 letters, digits, '_' or '-', or an empty string to remove it")]
    [TestCase("username", "has space", "username may contain only letters, digits, '_', '.' and '-'")]
    [TestCase("username", "x", "username must be between 2 and 32 characters")]
    public async Task Update_InvalidValue_IsRefused_AndNothingChanges(string field, string value, string data)
    {
        var user = await Server.NewUserAsync();
        var before = await Server.ResultAsync("users.self", token: user.Token);
        var parameters = new Dictionary<string, string> { [field] = value };
        if (field != "display_name")
        {
            parameters["display_name"] = "would change";
        }

        Assert.That(Data(await Server.ErrorAsync("users.update", parameters, user.Token)), Is.EqualTo(data));
        Assert.That((await Server.ResultAsync("users.self", token: user.Token)).ToString(), Is.EqualTo(before.ToString()));
    }

    [Test]
    public async Task Update_OverWebSocket_ChangesTheConnectionsUser()
    {
        var user = await Server.NewUserAsync();
        await using var ws = await WsClient.ConnectAsync(Server.WebSocketUri);
        await ws.CallAsync($$"""{"jsonrpc":"2.0","method":"users.identify","params":{"token":"{{user.Token}}"},"id":1}""");
        var reply = await ws.CallAsync("""{"jsonrpc":"2.0","method":"users.update","params":{"display_name":"Over WS"},"id":2}""");
        Assert.That(reply.GetProperty("result").GetProperty("display_name").GetString(), Is.EqualTo("Over WS"));
        Assert.That((await Server.ResultAsync("users.get", new { user_id = user.Id }, user.Token)).GetProperty("display_name").GetString(), Is.EqualTo("Over WS"));
    }
}
