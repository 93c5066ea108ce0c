using System.Text.Json;
using Dapper;
using Microsoft.Data.Sqlite;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Services;

public sealed class GuildsTests
{
    private static RpcTestServer Server => SharedServer.Instance;

    private static string Data(JsonElement error) => error.GetProperty("data").GetString()!;

    public static async Task<string> NewGuildAsync(TestUser owner, string name = "Book club") =>
        (await Server.ResultAsync("guilds.create", new { name }, owner.Token)).GetProperty("id").GetString()!;

    public static async Task<string> NewInviteAsync(TestUser owner, string guildId, int? maxUses = null) =>
        (await Server.ResultAsync("guilds.invites.create", maxUses is null ? new { guild_id = guildId } : new { guild_id = guildId, max_uses = maxUses }, owner.Token))
            .GetProperty("code").GetString()!;

    [Test]
    public async Task Create_ReturnsGuildObject_OwnedByCaller()
    {
        var owner = await Server.NewUserAsync();
        var guild = await Server.ResultAsync("guilds.create", new { name = "  Book club  " }, owner.Token);
        Assert.That(guild.GetProperty("name").GetString(), Is.EqualTo("Book club"));
        Assert.That(guild.GetProperty("owner_id").GetString(), Is.EqualTo(owner.Id));
        Assert.That(guild.GetProperty("features").GetArrayLength(), Is.Zero);
        Assert.That(guild.GetProperty("unavailable").GetBoolean(), Is.False);
        Assert.That(guild.GetProperty("member_count").GetInt64(), Is.EqualTo(1));
        var fetched = await Server.ResultAsync("guilds.get", new { guild_id = guild.GetProperty("id").GetString() }, owner.Token);
        Assert.That(fetched.ToString(), Is.EqualTo(guild.ToString()));
    }

    [TestCase("x")]
    [TestCase("   ")]
    public async Task Create_BadName_IsRefused(string name)
    {
        var owner = await Server.NewUserAsync();
        Assert.That(Data(await Server.ErrorAsync("guilds.create", new { name }, owner.Token)), Is.EqualTo("guild name must be between 2 and 100 characters"));
        Assert.That(Data(await Server.ErrorAsync("guilds.create", new { name = new string('g', 101) }, owner.Token)), Is.EqualTo("guild name must be between 2 and 100 characters"));
    }

    [Test]
    public async Task Create_WithoutToken_IsAuthenticationError()
    {
        var error = await Server.ErrorAsync("guilds.create", new { name = "nobody's" });
        Assert.That(Data(error), Does.StartWith("authentication required"));
    }

    [Test]
    public async Task Get_NonMember_AndMissingGuild_GiveTheSameError()
    {
        var owner = await Server.NewUserAsync();
        var stranger = await Server.NewUserAsync();
        var guildId = await NewGuildAsync(owner);
        var hidden = await Server.ErrorAsync("guilds.get", new { guild_id = guildId }, stranger.Token);
        var missing = await Server.ErrorAsync("guilds.get", new { guild_id = "1" }, stranger.Token);
        Assert.That(hidden.ToString(), Is.EqualTo(missing.ToString()));
        Assert.That(Data(hidden), Is.EqualTo("unknown guild"));
    }

    [Test]
    public async Task Invite_JoinWithCode_MakesMember_AndListsGuild()
    {
        var owner = await Server.NewUserAsync();
        var joiner = await Server.NewUserAsync();
        var guildId = await NewGuildAsync(owner);
        var invite = await Server.ResultAsync("guilds.invites.create", new { guild_id = guildId, max_uses = 3, max_age = 3600 }, owner.Token);
        Assert.That(invite.GetProperty("guild_id").GetString(), Is.EqualTo(guildId));
        Assert.That(invite.GetProperty("max_uses").GetInt32(), Is.EqualTo(3));
        Assert.That(invite.GetProperty("uses").GetInt32(), Is.Zero);
        var expires = invite.GetProperty("expires_at").GetDateTimeOffset();
        Assert.That(expires, Is.EqualTo(DateTimeOffset.UtcNow.AddHours(1)).Within(TimeSpan.FromMinutes(1)));
        var code = invite.GetProperty("code").GetString()!;
        Assert.That(code, Does.Match("^[A-Za-z0-9]{10}$"));

        var joined = await Server.ResultAsync("guilds.join", new { code }, joiner.Token);
        Assert.That(joined.GetProperty("id").GetString(), Is.EqualTo(guildId));
        Assert.That(joined.GetProperty("member_count").GetInt64(), Is.EqualTo(2));
        var fetched = await Server.ResultAsync("guilds.get", new { guild_id = guildId }, joiner.Token);
        Assert.That(fetched.GetProperty("member_count").GetInt64(), Is.EqualTo(2));
        var list = await Server.ResultAsync("users.guilds", token: joiner.Token);
        Assert.That(list.EnumerateArray().Select(g => g.GetProperty("id").GetString()), Is.EqualTo(new[] { guildId }));
    }

    [Test]
    public async Task Invite_DefaultMaxAge_IsOneDay_AndZeroNeverExpires()
    {
        var owner = await Server.NewUserAsync();
        var guildId = await NewGuildAsync(owner);
        var byDefault = await Server.ResultAsync("guilds.invites.create", new { guild_id = guildId }, owner.Token);
        Assert.That(byDefault.GetProperty("expires_at").GetDateTimeOffset(), Is.EqualTo(DateTimeOffset.UtcNow.AddDays(1)).Within(TimeSpan.FromMinutes(1)));
        Assert.That(byDefault.GetProperty("max_uses").GetInt32(), Is.Zero);
        var never = await Server.ResultAsync("guilds.invites.create", new { guild_id = guildId, max_age = 0 }, owner.Token);
        Assert.That(never.GetProperty("expires_at").ValueKind, Is.EqualTo(JsonValueKind.Null));
    }

    [Test]
    public async Task Invite_ByMemberNotOwner_IsRefused_ByStranger_IsUnknownGuild()
    {
        var owner = await Server.NewUserAsync();
        var member = await Server.NewUserAsync();
        var stranger = await Server.NewUserAsync();
        var guildId = await NewGuildAsync(owner);
        await Server.ResultAsync("guilds.join", new { code = await NewInviteAsync(owner, guildId) }, member.Token);
        Assert.That(Data(await Server.ErrorAsync("guilds.invites.create", new { guild_id = guildId }, member.Token)), Is.EqualTo("only the guild's owner may do this"));
        Assert.That(Data(await Server.ErrorAsync("guilds.invites.create", new { guild_id = guildId }, stranger.Token)), Is.EqualTo("unknown guild"));
    }

    [TestCase(-1, 0, "max_uses must be between 0 (unlimited) and 100")]
    [TestCase(101, 0, "max_uses must be between 0 (unlimited) and 100")]
    [TestCase(1, -1, "max_age must be between 0 (never expires) and 604800 seconds")]
    [TestCase(1, 604801, "max_age must be between 0 (never expires) and 604800 seconds")]
    public async Task Invite_OutOfRange_IsRefused(int maxUses, int maxAge, string data)
    {
        var owner = await Server.NewUserAsync();
        var guildId = await NewGuildAsync(owner);
        Assert.That(Data(await Server.ErrorAsync("guilds.invites.create", new { guild_id = guildId, max_uses = maxUses, max_age = maxAge }, owner.Token)), Is.EqualTo(data));
    }

    [Test]
    public async Task Join_UnknownCode_IsRefused()
    {
        var user = await Server.NewUserAsync();
        Assert.That(Data(await Server.ErrorAsync("guilds.join", new { code = "nosuchcode" }, user.Token)), Is.EqualTo("unknown invite"));
    }

    [Test]
    public async Task Join_ExpiredInvite_IsRefused()
    {
        var owner = await Server.NewUserAsync();
        var joiner = await Server.NewUserAsync();
        var guildId = await NewGuildAsync(owner);
        var code = await NewInviteAsync(owner, guildId);
        await using (var connection = await Server.OpenDatabaseAsync())
        {
            await connection.ExecuteAsync("UPDATE guild_invites SET expires_at = @past WHERE code = @code",
                new { code, past = DateTimeOffset.UtcNow.AddSeconds(-1).ToUnixTimeMilliseconds() });
        }

        Assert.That(Data(await Server.ErrorAsync("guilds.join", new { code }, joiner.Token)), Is.EqualTo("this invite has expired"));
        Assert.That(Data(await Server.ErrorAsync("guilds.get", new { guild_id = guildId }, joiner.Token)), Is.EqualTo("unknown guild"));
    }

    [Test]
    public async Task Join_Twice_IsIdempotent_AndUsesOneUse()
    {
        var owner = await Server.NewUserAsync();
        var joiner = await Server.NewUserAsync();
        var other = await Server.NewUserAsync();
        var guildId = await NewGuildAsync(owner);
        var code = await NewInviteAsync(owner, guildId, maxUses: 2);
        await Server.ResultAsync("guilds.join", new { code }, joiner.Token);
        var again = await Server.ResultAsync("guilds.join", new { code }, joiner.Token);
        Assert.That(again.GetProperty("member_count").GetInt64(), Is.EqualTo(2));
        // The repeat used nothing, so a second user still gets in.
        await Server.ResultAsync("guilds.join", new { code }, other.Token);
        var third = await Server.NewUserAsync();
        Assert.That(Data(await Server.ErrorAsync("guilds.join", new { code }, third.Token)), Is.EqualTo("this invite has reached its maximum number of uses"));
    }

    [Test]
    public async Task Join_ConcurrentOnLimitedInvite_LetsExactlyMaxUsesIn()
    {
        var owner = await Server.NewUserAsync();
        var guildId = await NewGuildAsync(owner);
        var code = await NewInviteAsync(owner, guildId, maxUses: 3);
        var joiners = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Server.NewUserAsync()));
        var responses = await Task.WhenAll(joiners.Select(j => Server.CallAsync("guilds.join", new { code }, j.Token)));
        Assert.That(responses.Count(r => r.TryGetProperty("result", out _)), Is.EqualTo(3));
        Assert.That(responses.Where(r => r.TryGetProperty("error", out _)).Select(r => Data(r.GetProperty("error"))),
            Is.All.EqualTo("this invite has reached its maximum number of uses"));
        Assert.That((await Server.ResultAsync("guilds.get", new { guild_id = guildId }, owner.Token)).GetProperty("member_count").GetInt64(), Is.EqualTo(4));
        await using var connection = await Server.OpenDatabaseAsync();
        Assert.That(await connection.ExecuteScalarAsync<long>("SELECT uses FROM guild_invites WHERE code = @code", new { code }), Is.EqualTo(3));
    }

    [Test]
    public async Task Leave_MemberLeaves_OwnerCannot_StrangerGetsUnknownGuild()
    {
        var owner = await Server.NewUserAsync();
        var member = await Server.NewUserAsync();
        var stranger = await Server.NewUserAsync();
        var guildId = await NewGuildAsync(owner);
        await Server.ResultAsync("guilds.join", new { code = await NewInviteAsync(owner, guildId) }, member.Token);
        Assert.That(Data(await Server.ErrorAsync("users.leaveGuild", new { guild_id = guildId }, owner.Token)), Is.EqualTo("the owner cannot leave a guild it owns"));
        Assert.That(Data(await Server.ErrorAsync("users.leaveGuild", new { guild_id = guildId }, stranger.Token)), Is.EqualTo("unknown guild"));
        Assert.That((await Server.ResultAsync("users.leaveGuild", new { guild_id = guildId }, member.Token)).GetBoolean(), Is.True);
        Assert.That(Data(await Server.ErrorAsync("guilds.get", new { guild_id = guildId }, member.Token)), Is.EqualTo("unknown guild"));
        Assert.That((await Server.ResultAsync("users.guilds", token: member.Token)).GetArrayLength(), Is.Zero);
        Assert.That((await Server.ResultAsync("guilds.get", new { guild_id = guildId }, owner.Token)).GetProperty("member_count").GetInt64(), Is.EqualTo(1));
    }

    [Test]
    public async Task Guilds_Paginate_ByIdWithAfter_AndCommunitiesIsTheSameList()
    {
        var user = await Server.NewUserAsync();
        var created = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            created.Add(await NewGuildAsync(user, $"guild {i}"));
        }

        var first = await Server.ResultAsync("users.guilds", new { limit = 2 }, user.Token);
        var firstIds = first.EnumerateArray().Select(g => g.GetProperty("id").GetString()!).ToList();
        Assert.That(firstIds, Is.EqualTo(created.Take(2)));
        var rest = await Server.ResultAsync("users.guilds", new { limit = 10, after = firstIds[^1] }, user.Token);
        Assert.That(rest.EnumerateArray().Select(g => g.GetProperty("id").GetString()), Is.EqualTo(created.Skip(2)));
        var communities = await Server.ResultAsync("users.communities", new { limit = 2 }, user.Token);
        Assert.That(communities.ToString(), Is.EqualTo(first.ToString()));
        Assert.That(Data(await Server.ErrorAsync("users.guilds", new { limit = 101 }, user.Token)), Is.EqualTo("limit must be between 1 and 100"));
    }

    [Test]
    public async Task Guilds_OverWebSocket_CreateAndList()
    {
        var user = await Server.NewUserAsync();
        await using var ws = await WsClient.ConnectAsync(Server.WebSocketUri);
        await ws.CallAsync($$"""{"jsonrpc":"2.0","method":"users.identify","params":{"token":"{{user.Token}}"},"id":1}""");
        var created = await ws.CallAsync("""{"jsonrpc":"2.0","method":"guilds.create","params":{"name":"over ws"},"id":2}""");
        var guildId = created.GetProperty("result").GetProperty("id").GetString();
        var list = await ws.CallAsync("""{"jsonrpc":"2.0","method":"users.guilds","params":[],"id":3}""");
        Assert.That(list.GetProperty("result").EnumerateArray().Select(g => g.GetProperty("id").GetString()), Is.EqualTo(new[] { guildId }));
    }
}
