using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Rpc.Contracts.Protocol;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Accounts;

/// <summary>users.bots.*: bot accounts with tokens, owned by a user (issue #15 item 2).</summary>
public sealed class BotsTests
{
    private readonly FakeTimeProvider clock = new(DateTimeOffset.UtcNow);
    private RpcTestServer server = null!;

    [OneTimeSetUp]
    public async Task StartAsync() =>
        server = await RpcTestServer.StartAsync(new Dictionary<string, string?> { ["UserCaps:BotsPerOwner"] = "3" }, configureServices: s => s.AddSingleton<TimeProvider>(clock));

    [OneTimeTearDown]
    public async Task StopAsync() => await server.DisposeAsync();

    private static string Data(JsonElement error) => error.GetProperty("data").GetString()!;

    private static string BotName() => "bot" + Guid.NewGuid().ToString("N")[..10];

    private async Task<(string Id, string Token)> NewBotAsync(TestUser owner, string? name = null)
    {
        var created = await server.ResultAsync("users.bots.create", new { username = name ?? BotName() }, owner.Token);
        return (created.GetProperty("user").GetProperty("id").GetString()!, created.GetProperty("token").GetString()!);
    }

    [Test]
    public async Task Create_GivesABotWithATokenThatWorksOverBothTransports_TheGateway_AndInvites()
    {
        var owner = await server.NewUserAsync("own");
        var name = BotName();
        var created = await server.ResultAsync("users.bots.create", new { username = name }, owner.Token);
        var bot = created.GetProperty("user");
        Assert.That(bot.GetProperty("username").GetString(), Is.EqualTo(name));
        Assert.That(bot.GetProperty("flags").EnumerateArray().Select(f => f.GetInt32()), Is.EqualTo(new[] { 10 }));
        var token = created.GetProperty("token").GetString()!;

        Assert.That((await server.ResultAsync("users.self", token: token)).GetProperty("id").GetString(), Is.EqualTo(bot.GetProperty("id").GetString()));
        await using var gateway = await GatewayClient.IdentifyAsync(server, token);
        Assert.That(gateway.Ready.GetProperty("d").GetProperty("user").GetProperty("id").GetString(), Is.EqualTo(bot.GetProperty("id").GetString()));

        var guildId = (await server.ResultAsync("guilds.create", new { name = "bots welcome" }, owner.Token)).GetProperty("id").GetString();
        var code = (await server.ResultAsync("guilds.invites.create", new { guild_id = guildId }, owner.Token)).GetProperty("code").GetString();
        var joined = await gateway.CallAsync("guilds.join", new { code });
        Assert.That(joined.TryGetProperty("result", out _), Is.True, joined.ToString());

        var sessions = await server.ResultAsync("users.sessions", token: token);
        Assert.That(sessions[0].GetProperty("expires_at").ValueKind, Is.EqualTo(JsonValueKind.Null));
        clock.Advance(TimeSpan.FromDays(400));
        await server.ResultAsync("users.self", token: token);
        Assert.That(Data(await server.ErrorAsync("users.self", token: owner.Token)), Is.EqualTo(ErrorData.InvalidToken), "a person's token still expires");
    }

    [Test]
    public async Task Auth_RefusesABot_WithoutHashing_AndBotsOwnNoBots()
    {
        var owner = await server.NewUserAsync("own");
        var name = BotName();
        var (_, token) = await NewBotAsync(owner, name);
        Assert.That(Data(await server.ErrorAsync("users.auth", new { username = name, password = "anything at all" })), Is.EqualTo(ErrorData.BotPasswordLogin));
        Assert.That(Data(await server.ErrorAsync("users.auth", new { username = name.ToUpperInvariant(), password = "" })), Is.EqualTo(ErrorData.BotPasswordLogin));
        Assert.That(Data(await server.ErrorAsync("users.bots.create", new { username = BotName() }, token)), Is.EqualTo(ErrorData.BotsCannotOwnBots));
        Assert.That(Data(await server.ErrorAsync("users.changePassword", new { old_password = "", new_password = "a long new password" }, token)), Is.EqualTo(ErrorData.InvalidPassword));
    }

    [Test]
    public async Task ListResetDelete_OnlyTheOwnersBots()
    {
        var owner = await server.NewUserAsync("own");
        var other = await server.NewUserAsync("oth");
        var (first, firstToken) = await NewBotAsync(owner);
        var (second, _) = await NewBotAsync(owner);
        var listed = await server.ResultAsync("users.bots.list", token: owner.Token);
        Assert.That(listed.EnumerateArray().Select(b => b.GetProperty("id").GetString()), Is.EqualTo(new[] { first, second }));
        Assert.That((await server.ResultAsync("users.bots.list", token: other.Token)).GetArrayLength(), Is.Zero);

        await using var ws = await GatewayClient.IdentifyAsync(server, firstToken);
        Assert.That(Data(await server.ErrorAsync("users.bots.resetToken", new { bot_id = first }, other.Token)), Is.EqualTo(ErrorData.BotNotFound(long.Parse(first))));
        var reset = await server.ResultAsync("users.bots.resetToken", new { bot_id = first }, owner.Token);
        var newToken = reset.GetProperty("token").GetString()!;
        Assert.That(newToken, Is.Not.EqualTo(firstToken));
        while (await ws.Ws.ReceiveAsync(TimeSpan.FromSeconds(20)) is not null)
        {
        }

        Assert.That((int?)ws.Ws.Socket.CloseStatus, Is.EqualTo(4004));
        Assert.That(Data(await server.ErrorAsync("users.self", token: firstToken)), Is.EqualTo(ErrorData.InvalidToken));
        await server.ResultAsync("users.self", token: newToken);

        Assert.That(Data(await server.ErrorAsync("users.bots.delete", new { bot_id = first }, other.Token)), Is.EqualTo(ErrorData.BotNotFound(long.Parse(first))));
        Assert.That(await server.ResultAsync("users.bots.delete", new { bot_id = first }, owner.Token), Has.Property("ValueKind").EqualTo(JsonValueKind.True));
        Assert.That(Data(await server.ErrorAsync("users.self", token: newToken)), Is.EqualTo(ErrorData.InvalidToken));
        Assert.That((await server.ResultAsync("users.bots.list", token: owner.Token)).EnumerateArray().Select(b => b.GetProperty("id").GetString()), Is.EqualTo(new[] { second }));
        Assert.That(Data(await server.ErrorAsync("users.bots.delete", new { bot_id = first }, owner.Token)), Is.EqualTo(ErrorData.BotNotFound(long.Parse(first))));
    }

    [Test]
    public async Task Cap_HoldsUnderConcurrentCreates()
    {
        var owner = await server.NewUserAsync("cap");
        var replies = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => server.CallAsync("users.bots.create", new { username = BotName() }, owner.Token)));
        Assert.That(replies.Count(r => r.TryGetProperty("result", out _)), Is.EqualTo(3));
        Assert.That(replies.Where(r => r.TryGetProperty("error", out _)).Select(r => r.GetProperty("error").GetProperty("data").GetString()).Distinct(), Is.EqualTo(new[] { ErrorData.TooManyBots(3) }));
        await using var connection = await server.OpenDatabaseAsync();
        Assert.That(await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM bots WHERE owner_id = @id", new { id = long.Parse(owner.Id) }), Is.EqualTo(3));
        Assert.That(await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM users WHERE flags = 1024 AND username LIKE 'bot%' AND id NOT IN (SELECT user_id FROM bots)"), Is.Zero, "no bot user without its bots row");
    }

    [Test]
    public async Task DeletingTheOwner_DeletesItsBots_InTheSameTransaction()
    {
        var owner = await server.NewUserAsync("gone");
        var (botId, botToken) = await NewBotAsync(owner);
        await server.ResultAsync("users.delete", new { password = owner.Password }, owner.Token);
        Assert.That(Data(await server.ErrorAsync("users.self", token: botToken)), Is.EqualTo(ErrorData.InvalidToken));
        var staff = await server.NewStaffAsync();
        var details = await server.ResultAsync("admin.users.get", new { user_id = botId }, staff.Token);
        Assert.That(details.GetProperty("deleted_at").ValueKind, Is.EqualTo(JsonValueKind.String));
        Assert.That(details.GetProperty("bot_owner_id").GetString(), Is.EqualTo(owner.Id));
        Assert.That(Data(await server.ErrorAsync("admin.users.resetPassword", new { user_id = botId }, staff.Token)), Is.EqualTo(ErrorData.UserDeleted(long.Parse(botId))));
    }

    [Test]
    public async Task Staff_SeeTheOwner_CannotResetABotsPassword_AndADisabledBotGetsNoNewToken()
    {
        var owner = await server.NewUserAsync("own");
        var (botId, _) = await NewBotAsync(owner);
        var staff = await server.NewStaffAsync();
        Assert.That((await server.ResultAsync("admin.users.get", new { user_id = botId }, staff.Token)).GetProperty("bot_owner_id").GetString(), Is.EqualTo(owner.Id));
        Assert.That(Data(await server.ErrorAsync("admin.users.resetPassword", new { user_id = botId }, staff.Token)), Is.EqualTo(ErrorData.BotHasNoPassword));
        await server.ResultAsync("admin.users.disable", new { user_id = botId, reason = "spam bot" }, staff.Token);
        Assert.That(Data(await server.ErrorAsync("users.bots.resetToken", new { bot_id = botId }, owner.Token)), Is.EqualTo(ErrorData.AccountDisabled));
    }
}
