using System.Text.Json;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Services;

public sealed class SessionsTests
{
    private static RpcTestServer Server => SharedServer.Instance;

    private static string Data(JsonElement error) => error.GetProperty("data").GetString()!;

    private static async Task<string> LoginAsync(TestUser user, string? password = null) =>
        (await Server.ResultAsync("users.auth", new { username = user.Username, password = password ?? user.Password })).GetProperty("token").GetString()!;

    [Test]
    public async Task Sessions_ListsOwnSessions_MarksCurrent_NeverTheToken()
    {
        var user = await Server.NewUserAsync();
        var second = await LoginAsync(user);
        var sessions = await Server.ResultAsync("users.sessions", token: second);
        Assert.That(sessions.GetArrayLength(), Is.EqualTo(2));
        Assert.That(sessions.EnumerateArray().Count(s => s.GetProperty("current").GetBoolean()), Is.EqualTo(1));
        Assert.That(sessions[1].GetProperty("current").GetBoolean(), Is.True, "ordered by id: the later login is second");
        var first = sessions[0];
        Assert.That(first.EnumerateObject().Select(p => p.Name), Is.EquivalentTo(new[] { "id", "created_at", "last_used_at", "expires_at", "client_address", "user_agent", "current" }));
        Assert.That(first.GetProperty("client_address").GetString(), Is.EqualTo("127.0.0.1"));
        Assert.That(first.GetProperty("created_at").GetDateTimeOffset(), Is.EqualTo(DateTimeOffset.UtcNow).Within(TimeSpan.FromMinutes(1)));
        var text = sessions.ToString();
        Assert.That(text, Does.Not.Contain(user.Token).And.Not.Contain(second).And.Not.Contain(Rpc.Server.Security.TokenService.Hash(second)));
    }

    [Test]
    public async Task Revoke_EndsThatSession_OthersStay()
    {
        var user = await Server.NewUserAsync();
        var second = await LoginAsync(user);
        var sessions = await Server.ResultAsync("users.sessions", token: user.Token);
        var secondId = sessions.EnumerateArray().Single(s => !s.GetProperty("current").GetBoolean()).GetProperty("id").GetString();
        Assert.That((await Server.ResultAsync("users.sessions.revoke", new { session_id = secondId }, user.Token)).GetBoolean(), Is.True);
        Assert.That(Data(await Server.ErrorAsync("users.self", token: second)), Is.EqualTo("invalid or revoked token"));
        await Server.ResultAsync("users.self", token: user.Token);
        Assert.That((await Server.ResultAsync("users.sessions", token: user.Token)).GetArrayLength(), Is.EqualTo(1));
        Assert.That(Data(await Server.ErrorAsync("users.sessions.revoke", new { session_id = secondId }, user.Token)), Is.EqualTo("unknown session"));
    }

    [Test]
    public async Task Revoke_AnotherUsersSession_IsUnknown_AndLeavesItAlone()
    {
        var alice = await Server.NewUserAsync();
        var eve = await Server.NewUserAsync();
        var aliceSession = (await Server.ResultAsync("users.sessions", token: alice.Token))[0].GetProperty("id").GetString();
        Assert.That(Data(await Server.ErrorAsync("users.sessions.revoke", new { session_id = aliceSession }, eve.Token)), Is.EqualTo("unknown session"));
        await Server.ResultAsync("users.self", token: alice.Token);
        var evesList = await Server.ResultAsync("users.sessions", token: eve.Token);
        Assert.That(evesList.EnumerateArray().Select(s => s.GetProperty("id").GetString()), Does.Not.Contain(aliceSession));
    }

    [Test]
    public async Task Revoke_CurrentSessionOverWebSocket_ClosesTheConnectionAfterTheReply()
    {
        var user = await Server.NewUserAsync();
        await using var ws = await WsClient.ConnectAsync(Server.WebSocketUri);
        await ws.CallAsync($$"""{"jsonrpc":"2.0","method":"users.identify","params":{"token":"{{user.Token}}"},"id":1}""");
        var list = await ws.CallAsync("""{"jsonrpc":"2.0","method":"users.sessions","id":2}""");
        var current = list.GetProperty("result").EnumerateArray().Single(s => s.GetProperty("current").GetBoolean()).GetProperty("id").GetString();
        var revoked = await ws.CallAsync($$"""{"jsonrpc":"2.0","method":"users.sessions.revoke","params":["{{current}}"],"id":3}""");
        Assert.That(revoked.GetProperty("result").GetBoolean(), Is.True);
        while (await ws.ReceiveAsync() is { } message)
        {
            Assert.That(message, Does.Contain("gateway.event"), "only events may come before the close");
        }

        Assert.That((int?)ws.Socket.CloseStatus, Is.EqualTo(4004));
    }

    [Test]
    public async Task ChangePassword_EndsOtherSessions_KeepsCurrent_AndNewPasswordWorks()
    {
        var user = await Server.NewUserAsync();
        var other = await LoginAsync(user);
        var third = await LoginAsync(user);
        Assert.That((await Server.ResultAsync("users.changePassword", new { old_password = user.Password, new_password = "a brand new secret" }, user.Token)).GetBoolean(), Is.True);
        Assert.That(Data(await Server.ErrorAsync("users.self", token: other)), Is.EqualTo("invalid or revoked token"));
        Assert.That(Data(await Server.ErrorAsync("users.self", token: third)), Is.EqualTo("invalid or revoked token"));
        await Server.ResultAsync("users.self", token: user.Token);
        Assert.That(Data(await Server.ErrorAsync("users.auth", new { username = user.Username, password = user.Password })), Is.EqualTo("invalid password"));
        await LoginAsync(user, "a brand new secret");
    }

    [Test]
    public async Task ChangePassword_WrongOldPassword_IsRefused_AndChangesNothing()
    {
        var user = await Server.NewUserAsync();
        var other = await LoginAsync(user);
        Assert.That(Data(await Server.ErrorAsync("users.changePassword", new { old_password = "not the password", new_password = "a brand new secret" }, user.Token)), Is.EqualTo("invalid password"));
        await Server.ResultAsync("users.self", token: other);
        await LoginAsync(user);
    }

    [TestCase("short", "password must be between 8 and 128 characters")]
    [TestCase("          ", "password must not be only white space")]
    public async Task ChangePassword_NewPasswordBreaksRules_IsRefused(string newPassword, string data)
    {
        var user = await Server.NewUserAsync();
        Assert.That(Data(await Server.ErrorAsync("users.changePassword", new { old_password = user.Password, new_password = newPassword }, user.Token)), Is.EqualTo(data));
        await LoginAsync(user);
    }

    [Test]
    public async Task Sessions_Paginate_ById()
    {
        var user = await Server.NewUserAsync();
        await LoginAsync(user);
        await LoginAsync(user);
        var all = (await Server.ResultAsync("users.sessions", token: user.Token)).EnumerateArray().Select(s => s.GetProperty("id").GetString()!).ToList();
        Assert.That(all, Has.Count.EqualTo(3));
        Assert.That(all, Is.Ordered.Using<string>((a, b) => long.Parse(a).CompareTo(long.Parse(b))));
        var page = (await Server.ResultAsync("users.sessions", new { limit = 1, after = all[0] }, user.Token)).EnumerateArray().Select(s => s.GetProperty("id").GetString()).ToList();
        Assert.That(page, Is.EqualTo(new[] { all[1] }));
        Assert.That(Data(await Server.ErrorAsync("users.sessions", new { limit = 0 }, user.Token)), Is.EqualTo("limit must be between 1 and 100"));
    }
}
