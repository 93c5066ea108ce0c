using System.Text.Json;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Services;

/// <summary>Linked Discord accounts: <c>discord.link/unlink/users/check/infos</c> and <c>users.linkDiscord</c>.</summary>
public sealed class DiscordAccountsTests
{
    private static RpcTestServer Server => SharedServer.Instance;

    private static TestUser staff = null!;

    [OneTimeSetUp]
    public async Task CreateStaffAsync() => staff = await TestStaff.CreateStaffAsync(Server);

    private static string Data(JsonElement error) => error.GetProperty("data").GetString()!;

    [Test]
    public async Task Link_ThenInfos_ReturnsSeedFieldNamesAndTypes()
    {
        var user = await Server.NewUserAsync();
        var discordId = TestStaff.NewDiscordId();
        var linked = await Server.ResultAsync("discord.link", new
        {
            user_id = user.Id, discord_id = discordId, avatar = "954126c8745a321985b7452159875212",
            discriminator = "0001", locale = "fr", mfa_enabled = true, flags = "0",
        }, staff.Token);
        Assert.That(linked.GetProperty("discord_id").GetString(), Is.EqualTo(discordId));

        var infos = await Server.ResultAsync("discord.infos", new { id = discordId }, staff.Token);
        Assert.That(infos.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[]
        {
            "discord_id", "discord_avatar", "discord_discriminator", "discord_locale", "discord_mfa_enabled", "discord_flags",
        }));
        Assert.That(infos.GetProperty("discord_id").GetString(), Is.EqualTo(discordId));
        Assert.That(infos.GetProperty("discord_avatar").GetString(), Is.EqualTo("954126c8745a321985b7452159875212"));
        Assert.That(infos.GetProperty("discord_discriminator").GetString(), Is.EqualTo("0001"));
        Assert.That(infos.GetProperty("discord_locale").GetString(), Is.EqualTo("fr"));
        Assert.That(infos.GetProperty("discord_mfa_enabled").GetBoolean(), Is.True);
        Assert.That(infos.GetProperty("discord_flags").GetString(), Is.EqualTo("0"));
        Assert.That((await Server.ResultAsync("discord.check", new { id = discordId }, staff.Token)).GetBoolean(), Is.True);
    }

    [Test]
    public async Task Link_IsAudited_InTheDatabase()
    {
        var user = await Server.NewUserAsync();
        await Server.ResultAsync("discord.link", new { user_id = user.Id, discord_id = TestStaff.NewDiscordId() }, staff.Token);
        var actor = await TestStaff.QueryScalarAsync<long>(Server,
            "SELECT actor_id FROM audit_log WHERE action = 'discord.link' AND target_type = 'user' AND target_id = @id", new { id = user.Id });
        Assert.That(actor, Is.EqualTo(long.Parse(staff.Id)));
    }

    [Test]
    public async Task Link_DiscordIdOfAnotherUser_IsRefused()
    {
        var first = await Server.NewUserAsync();
        var second = await Server.NewUserAsync();
        var discordId = TestStaff.NewDiscordId();
        await Server.ResultAsync("discord.link", new { user_id = first.Id, discord_id = discordId }, staff.Token);
        var error = await Server.ErrorAsync("discord.link", new { user_id = second.Id, discord_id = discordId }, staff.Token);
        Assert.That(error.GetProperty("code").GetInt32(), Is.EqualTo(-32603));
        Assert.That(Data(error), Is.EqualTo("this Discord account is already linked to another user"));
        var selfError = await Server.ErrorAsync("users.linkDiscord", new { discord_id = discordId }, second.Token);
        Assert.That(Data(selfError), Is.EqualTo("this Discord account is already linked to another user"));
    }

    [Test]
    public async Task Link_SameDiscordIdConcurrently_OnlyOneUserGetsIt()
    {
        var users = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Server.NewUserAsync()));
        var discordId = TestStaff.NewDiscordId();
        var responses = await Task.WhenAll(users.Select(u => Server.CallAsync("discord.link", new { user_id = u.Id, discord_id = discordId }, staff.Token)));
        Assert.That(responses.Count(r => r.TryGetProperty("result", out _)), Is.EqualTo(1));
        Assert.That(responses.Where(r => r.TryGetProperty("error", out _)).Select(r => Data(r.GetProperty("error"))),
            Is.All.EqualTo("this Discord account is already linked to another user"));
        Assert.That(await TestStaff.QueryScalarAsync<long>(Server, "SELECT COUNT(*) FROM discord_accounts WHERE discord_id = @discordId", new { discordId = long.Parse(discordId) }), Is.EqualTo(1));
    }

    [Test]
    public async Task Link_SameUserAgain_ReplacesItsLink()
    {
        var user = await Server.NewUserAsync();
        var oldId = TestStaff.NewDiscordId();
        var newId = TestStaff.NewDiscordId();
        await Server.ResultAsync("discord.link", new { user_id = user.Id, discord_id = oldId, locale = "fr" }, staff.Token);
        await Server.ResultAsync("discord.link", new { user_id = user.Id, discord_id = newId, locale = "en-US" }, staff.Token);
        Assert.That((await Server.ResultAsync("discord.check", new { id = oldId }, staff.Token)).GetBoolean(), Is.False);
        var infos = await Server.ResultAsync("discord.infos", new { id = newId }, staff.Token);
        Assert.That(infos.GetProperty("discord_locale").GetString(), Is.EqualTo("en-US"));
        Assert.That(infos.GetProperty("discord_mfa_enabled").GetBoolean(), Is.False);
        Assert.That(infos.GetProperty("discord_avatar").ValueKind, Is.EqualTo(JsonValueKind.Null));
    }

    [Test]
    public async Task Link_UnknownUser_ReturnsUserNotFound()
    {
        var error = await Server.ErrorAsync("discord.link", new { user_id = "1", discord_id = TestStaff.NewDiscordId() }, staff.Token);
        Assert.That(Data(error), Is.EqualTo("User not found!"));
        Assert.That(Data(await Server.ErrorAsync("discord.unlink", new { user_id = "1" }, staff.Token)), Is.EqualTo("User not found!"));
    }

    [TestCase("discord_id", "12345", "discord_id must be a Discord snowflake: 17 to 19 digits without a leading zero")]
    [TestCase("discord_id", "012345678912365478", "discord_id must be a Discord snowflake: 17 to 19 digits without a leading zero")]
    [TestCase("discord_id", "99999999999999999999", "discord_id must be a Discord snowflake: 17 to 19 digits without a leading zero")]
    [TestCase("discord_id", "9999999999999999999", "discord_id must be a Discord snowflake: 17 to 19 digits without a leading zero")]
    [TestCase("discord_id", "12345678912365478a", "discord_id must be a Discord snowflake: 17 to 19 digits without a leading zero")]
    [TestCase("avatar", "not-a-hash", "avatar must be a Discord avatar hash: 32 hexadecimal digits, optionally prefixed with a_")]
    [TestCase("discriminator", "12", "discriminator must be 4 digits or 0")]
    [TestCase("locale", "french language", "locale must be a language tag such as fr or en-US")]
    [TestCase("flags", -1L, "flags must not be negative")]
    public async Task Link_InvalidField_ReturnsClearError(string field, object value, string expected)
    {
        var user = await Server.NewUserAsync();
        var parameters = new Dictionary<string, object?> { ["user_id"] = user.Id, ["discord_id"] = TestStaff.NewDiscordId(), [field] = value };
        Assert.That(Data(await Server.ErrorAsync("discord.link", parameters, staff.Token)), Is.EqualTo(expected));
        parameters.Remove("user_id");
        Assert.That(Data(await Server.ErrorAsync("users.linkDiscord", parameters, user.Token)), Is.EqualTo(expected));
    }

    [Test]
    public async Task Link_AnimatedAvatarAndNewDiscriminator_AreAccepted()
    {
        var user = await Server.NewUserAsync();
        var linked = await Server.ResultAsync("discord.link", new
        {
            user_id = user.Id, discord_id = TestStaff.NewDiscordId(), avatar = "a_954126c8745a321985b7452159875212", discriminator = "0", flags = 4194304,
        }, staff.Token);
        Assert.That(linked.GetProperty("discord_avatar").GetString(), Is.EqualTo("a_954126c8745a321985b7452159875212"));
        Assert.That(linked.GetProperty("discord_flags").GetString(), Is.EqualTo("4194304"));
    }

    [Test]
    public async Task Unlink_RemovesTheLink_AndTwiceIsAnError()
    {
        var user = await Server.NewUserAsync();
        var discordId = TestStaff.NewDiscordId();
        await Server.ResultAsync("discord.link", new { user_id = user.Id, discord_id = discordId }, staff.Token);
        Assert.That((await Server.ResultAsync("discord.unlink", new { user_id = user.Id }, staff.Token)).GetBoolean(), Is.True);
        Assert.That((await Server.ResultAsync("discord.check", new { id = discordId }, staff.Token)).GetBoolean(), Is.False);
        Assert.That(Data(await Server.ErrorAsync("discord.infos", new { id = discordId }, staff.Token)), Is.EqualTo("Could not find this user"));
        Assert.That(Data(await Server.ErrorAsync("discord.unlink", new { user_id = user.Id }, staff.Token)), Is.EqualTo("this user has no linked Discord account"));
        var other = await Server.NewUserAsync();
        await Server.ResultAsync("discord.link", new { user_id = other.Id, discord_id = discordId }, staff.Token);
    }

    [Test]
    public async Task Check_UnknownOrMalformedId_ReturnsFalse()
    {
        Assert.That((await Server.ResultAsync("discord.check", new { id = TestStaff.NewDiscordId() }, staff.Token)).GetBoolean(), Is.False);
        Assert.That((await Server.ResultAsync("discord.check", new { id = "nope" }, staff.Token)).GetBoolean(), Is.False);
    }

    [Test]
    public async Task Infos_UnknownId_ReturnsSeedError_AndMalformedIdIsRefused()
    {
        Assert.That(Data(await Server.ErrorAsync("discord.infos", new { id = TestStaff.NewDiscordId() }, staff.Token)), Is.EqualTo("Could not find this user"));
        Assert.That(Data(await Server.ErrorAsync("discord.infos", new { id = "12" }, staff.Token)),
            Is.EqualTo("id must be a Discord snowflake: 17 to 19 digits without a leading zero"));
    }

    [Test]
    public async Task LinkDiscord_Self_ShowsInSelfOnly()
    {
        var user = await Server.NewUserAsync();
        Assert.That(Data(await Server.ErrorAsync("users.linkDiscord", new { discord_id = TestStaff.NewDiscordId() })), Does.StartWith("authentication required"));
        var self = await Server.ResultAsync("users.self", null, user.Token);
        Assert.That(self.TryGetProperty("discord", out _), Is.False, "no link, no discord member");

        var discordId = TestStaff.NewDiscordId();
        var linked = await Server.ResultAsync("users.linkDiscord", new { discord_id = discordId, locale = "tr", mfa_enabled = true }, user.Token);
        Assert.That(linked.GetProperty("discord_id").GetString(), Is.EqualTo(discordId));

        self = await Server.ResultAsync("users.self", null, user.Token);
        var discord = self.GetProperty("discord");
        Assert.That(discord.GetProperty("discord_id").GetString(), Is.EqualTo(discordId));
        Assert.That(discord.GetProperty("discord_locale").GetString(), Is.EqualTo("tr"));
        Assert.That(discord.GetProperty("discord_mfa_enabled").GetBoolean(), Is.True);

        var identified = await Server.ResultAsync("users.identify", new { token = user.Token });
        Assert.That(identified.TryGetProperty("discord", out _), Is.False, "only users.self shows the link");
        Assert.That((await Server.ResultAsync("discord.check", new { id = discordId }, staff.Token)).GetBoolean(), Is.True);
        var actor = await TestStaff.QueryScalarAsync<long>(Server,
            "SELECT actor_id FROM audit_log WHERE action = 'discord.link' AND target_id = @id", new { id = user.Id });
        Assert.That(actor, Is.EqualTo(long.Parse(user.Id)));
    }

    [Test]
    public async Task LinkDiscord_OverWebSocket_AuthenticatedConnection()
    {
        var user = await Server.NewUserAsync();
        var discordId = TestStaff.NewDiscordId();
        await using var ws = await WsClient.ConnectAsync(Server.WebSocketUri);
        var auth = await ws.CallAsync($$"""{"jsonrpc":"2.0","method":"users.identify","params":{"token":"{{user.Token}}"},"id":1}""");
        Assert.That(auth.TryGetProperty("result", out _), Is.True, auth.ToString());
        var linked = await ws.CallAsync($$"""{"jsonrpc":"2.0","method":"users.linkDiscord","params":{"discord_id":"{{discordId}}"},"id":2}""");
        Assert.That(linked.GetProperty("result").GetProperty("discord_id").GetString(), Is.EqualTo(discordId));
        var self = await ws.CallAsync("""{"jsonrpc":"2.0","method":"users.self","id":3}""");
        Assert.That(self.GetProperty("result").GetProperty("discord").GetProperty("discord_id").GetString(), Is.EqualTo(discordId));
    }

    [Test]
    public async Task Users_PagesByDiscordId()
    {
        var ids = new List<string>();
        foreach (var _ in Enumerable.Range(0, 3))
        {
            var user = await Server.NewUserAsync();
            var id = TestStaff.NewDiscordId();
            ids.Add(id);
            await Server.ResultAsync("discord.link", new { user_id = user.Id, discord_id = id }, staff.Token);
        }

        var smallest = ids.Select(long.Parse).Min();
        var page = await Server.ResultAsync("discord.users", new { limit = 1, after = (smallest - 1).ToString() }, staff.Token);
        Assert.That(page.GetArrayLength(), Is.EqualTo(1));
        var first = page[0];
        Assert.That(first.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "discord_id" }));
        Assert.That(first.GetProperty("discord_id").GetString(), Is.EqualTo(smallest.ToString()));

        var all = new List<long>();
        string? after = null;
        while (true)
        {
            var next = await Server.ResultAsync("discord.users", after is null ? new Dictionary<string, object?> { ["limit"] = 100 } : new Dictionary<string, object?> { ["limit"] = 100, ["after"] = after }, staff.Token);
            if (next.GetArrayLength() == 0)
            {
                break;
            }

            all.AddRange(next.EnumerateArray().Select(e => long.Parse(e.GetProperty("discord_id").GetString()!)));
            after = all[^1].ToString();
        }

        Assert.That(all, Is.Ordered.And.Unique);
        Assert.That(all, Is.SupersetOf(ids.Select(long.Parse)));
        Assert.That(Data(await Server.ErrorAsync("discord.users", new { limit = 0 }, staff.Token)), Is.EqualTo("limit must be between 1 and 100"));
    }

    [Test]
    public async Task Users_NoneLinkedAtAll_ReturnsSeedError()
    {
        await using var server = await RpcTestServer.StartAsync();
        var admin = await TestStaff.CreateStaffAsync(server);
        var error = await server.ErrorAsync("discord.users", null, admin.Token);
        Assert.That(error.GetProperty("code").GetInt32(), Is.EqualTo(-32603));
        Assert.That(Data(error), Is.EqualTo("Could not find any users"));
        var user = await server.NewUserAsync();
        var discordId = TestStaff.NewDiscordId();
        await server.ResultAsync("discord.link", new { user_id = user.Id, discord_id = discordId }, admin.Token);
        var list = await server.ResultAsync("discord.users", null, admin.Token);
        Assert.That(list.EnumerateArray().Select(e => e.GetProperty("discord_id").GetString()), Is.EqualTo(new[] { discordId }));
        Assert.That((await server.ResultAsync("discord.users", new { after = discordId }, admin.Token)).GetArrayLength(), Is.Zero);
    }

    private static readonly object[] StaffMethods =
    [
        new object[] { "discord.link", new { user_id = "1", discord_id = "123456789123654789" } },
        new object[] { "discord.unlink", new { user_id = "1" } },
        new object[] { "discord.users", new { } },
        new object[] { "discord.check", new { id = "123456789123654789" } },
        new object[] { "discord.infos", new { id = "123456789123654789" } },
    ];

    [TestCaseSource(nameof(StaffMethods))]
    public async Task StaffMethod_CalledByNonStaff_IsRefused(string method, object parameters)
    {
        var user = await Server.NewUserAsync();
        Assert.That(Data(await Server.ErrorAsync(method, parameters, user.Token)), Is.EqualTo("only staff may call this method"));
        Assert.That(Data(await Server.ErrorAsync(method, parameters)), Does.StartWith("authentication required"));
    }
}
