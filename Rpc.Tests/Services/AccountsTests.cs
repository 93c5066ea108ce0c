using System.Text.Json;
using Dapper;
using Microsoft.Data.Sqlite;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Services;

public sealed class AccountsTests
{
    private static RpcTestServer Server => SharedServer.Instance;

    private static string NewName() => "n" + Guid.NewGuid().ToString("N")[..12];

    [Test]
    public async Task Create_SeedRequestVerbatim_ReturnsSeedShape()
    {
        var name = NewName();
        var response = await Server.PostJsonAsync($$"""
            {
                "jsonrpc": "2.0",
                "method": "users.create",
                "auth": null,
                "params": {"username": "{{name}}", "password": "********"},
                "id": 1
            }
            """);
        Assert.That(response.GetProperty("jsonrpc").GetString(), Is.EqualTo("2.0"));
        Assert.That(response.GetProperty("id").GetInt32(), Is.EqualTo(1));
        var user = response.GetProperty("result");
        Assert.That(user.GetProperty("id").ValueKind, Is.EqualTo(JsonValueKind.String));
        Assert.That(long.Parse(user.GetProperty("id").GetString()!), Is.GreaterThan(0));
        Assert.That(user.GetProperty("username").GetString(), Is.EqualTo(name));
        Assert.That(user.GetProperty("display_name").GetString(), Is.EqualTo(name));
        Assert.That(user.GetProperty("presence").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(user.GetProperty("avatar").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(user.GetProperty("flags").GetArrayLength(), Is.Zero);
        Assert.That(user.GetProperty("discriminator").GetString(), Does.Match("^[0-9]{4}$"));
        Assert.That(user.GetProperty("discriminator").GetString(), Is.Not.EqualTo("0000"));
    }

    [Test]
    public async Task Create_TakenUsername_ReturnsSeedError_InChinese()
    {
        await Server.ResultAsync("users.create", new { username = "seeduser" + Guid.NewGuid().ToString("N")[..4], password = "password1" });
        var name = NewName();
        await Server.ResultAsync("users.create", new { username = name, password = "password1" });
        var response = await Server.PostJsonAsync($$"""
            {"jsonrpc":"2.0","method":"users.create","auth":null,"params":{"username":"{{name}}","password":"********"},"id":1}
            """, language: "zh-CN");
        Assert.That(response.GetProperty("id").GetInt32(), Is.EqualTo(1));
        var error = response.GetProperty("error");
        Assert.That(error.GetProperty("code").GetInt32(), Is.EqualTo(-32603));
        Assert.That(error.GetProperty("message").GetString(), Is.EqualTo("内部错误"));
        Assert.That(error.GetProperty("data").GetString(), Is.EqualTo($"User with username {name} already exists"));
    }

    [Test]
    public async Task Create_TakenUsernameInOtherCase_IsRefused()
    {
        var name = NewName();
        await Server.ResultAsync("users.create", new { username = name, password = "password1" });
        var error = await Server.ErrorAsync("users.create", new { username = name.ToUpperInvariant(), password = "password1" });
        Assert.That(error.GetProperty("data").GetString(), Is.EqualTo($"User with username {name.ToUpperInvariant()} already exists"));
    }

    [Test]
    public async Task Create_FullwidthForm_IsNormalizedAndCollides()
    {
        var name = "fw" + Guid.NewGuid().ToString("N")[..8];
        await Server.ResultAsync("users.create", new { username = name, password = "password1" });
        var fullwidth = string.Concat(name.Select(c => (char)(c + 0xFEE0)));
        var error = await Server.ErrorAsync("users.create", new { username = fullwidth, password = "password1" });
        Assert.That(error.GetProperty("data").GetString(), Does.EndWith("already exists"));
    }

    [TestCase("a", "username must be between 2 and 32 characters")]
    [TestCase("abcdefghijklmnopqrstuvwxyz0123456", "username must be between 2 and 32 characters")]
    [TestCase("has space", "username may contain only letters, digits, '_', '.' and '-'")]
    [TestCase("at@sign", "username may contain only letters, digits, '_', '.' and '-'")]
    [TestCase("tag#0001", "username may contain only letters, digits, '_', '.' and '-'")]
    public async Task Create_InvalidUsername_SaysWhichRule(string username, string rule)
    {
        var error = await Server.ErrorAsync("users.create", new { username, password = "password1" });
        Assert.That(error.GetProperty("code").GetInt32(), Is.EqualTo(-32603));
        Assert.That(error.GetProperty("data").GetString(), Is.EqualTo(rule));
    }

    [TestCase("short", "password must be between 8 and 128 characters")]
    [TestCase("          ", "password must not be only white space")]
    public async Task Create_InvalidPassword_SaysWhichRule(string password, string rule)
    {
        var error = await Server.ErrorAsync("users.create", new { username = NewName(), password });
        Assert.That(error.GetProperty("data").GetString(), Is.EqualTo(rule));
    }

    [Test]
    public async Task Create_LongPassword_IsRefused_AndMaximumIsAccepted()
    {
        var error = await Server.ErrorAsync("users.create", new { username = NewName(), password = new string('p', 129) });
        Assert.That(error.GetProperty("data").GetString(), Is.EqualTo("password must be between 8 and 128 characters"));
        await Server.ResultAsync("users.create", new { username = NewName(), password = new string('p', 128) });
    }

    [Test]
    public async Task Create_TwentyConcurrentOfOneName_ExactlyOneSucceeds()
    {
        var name = NewName();
        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ =>
            Server.CallAsync("users.create", new { username = name, password = "password1" })));
        Assert.That(responses.Count(r => r.TryGetProperty("result", out _)), Is.EqualTo(1));
        Assert.That(responses.Where(r => r.TryGetProperty("error", out _)).Select(r => r.GetProperty("error").GetProperty("data").GetString()),
            Is.All.EqualTo($"User with username {name} already exists"));
        await using var connection = await Server.OpenDatabaseAsync();
        Assert.That(await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM users WHERE username_key = @k", new { k = name }), Is.EqualTo(1));
    }

    [Test]
    public async Task Auth_SeedRequest_ReturnsUserIdAndToken()
    {
        var name = NewName();
        var user = await Server.ResultAsync("users.create", new { username = name, password = "********" });
        var response = await Server.PostJsonAsync($$"""
            {"jsonrpc":"2.0","method":"users.auth","auth":null,"params":{"username":"{{name}}","password":"********"},"id":1}
            """);
        var result = response.GetProperty("result");
        Assert.That(result.GetProperty("user_id").GetString(), Is.EqualTo(user.GetProperty("id").GetString()));
        Assert.That(result.GetProperty("token").GetString(), Does.Match("^[A-Za-z0-9_-]{43}$"));
    }

    [Test]
    public async Task Auth_WrongPassword_AndUnknownUser_GiveTheSameSeedError()
    {
        var user = await Server.NewUserAsync();
        var wrong = await Server.ErrorAsync("users.auth", new { username = user.Username, password = "not the password" }, language: "zh-CN");
        var unknown = await Server.ErrorAsync("users.auth", new { username = NewName(), password = "not the password" }, language: "zh-CN");
        Assert.That(wrong.ToString(), Is.EqualTo(unknown.ToString()));
        Assert.That(wrong.GetProperty("data").GetString(), Is.EqualTo("invalid password"));
        Assert.That(wrong.GetProperty("message").GetString(), Is.EqualTo("内部错误"));
    }

    [Test]
    public async Task Auth_AnyCaseOfUsername_LogsIn()
    {
        var user = await Server.NewUserAsync();
        var result = await Server.ResultAsync("users.auth", new { username = user.Username.ToUpperInvariant(), password = user.Password });
        Assert.That(result.GetProperty("user_id").GetString(), Is.EqualTo(user.Id));
    }

    [Test]
    public async Task Auth_EachLogin_IssuesANewToken_StoredOnlyAsHash()
    {
        var user = await Server.NewUserAsync();
        var second = (await Server.ResultAsync("users.auth", new { username = user.Username, password = user.Password })).GetProperty("token").GetString()!;
        Assert.That(second, Is.Not.EqualTo(user.Token));
        await using var connection = await Server.OpenDatabaseAsync();
        var stored = (await connection.QueryAsync<string>("SELECT token_hash FROM sessions WHERE user_id = @id", new { id = long.Parse(user.Id) })).ToList();
        Assert.That(stored, Has.Count.EqualTo(2));
        Assert.That(stored, Does.Not.Contain(user.Token).And.Not.Contain(second));
        Assert.That(stored, Does.Contain(Rpc.Server.Security.TokenService.Hash(second)));
    }

    [Test]
    public async Task Check_SeedRequest_TrueForTaken_FalseForFree()
    {
        var user = await Server.NewUserAsync();
        var taken = await Server.PostJsonAsync($$"""{"jsonrpc":"2.0","method":"users.check","auth":null,"params":["{{user.Username}}"],"id":1}""");
        Assert.That(taken.GetProperty("result").GetBoolean(), Is.True);
        var freeName = "free" + Guid.NewGuid().ToString("N")[..12];
        var free = await Server.PostJsonAsync($$"""{"jsonrpc":"2.0","method":"users.check","auth":null,"params":["{{freeName}}"],"id":1}""");
        Assert.That(free.GetProperty("result").GetBoolean(), Is.False);
    }

    [Test]
    public async Task Self_WithToken_ReturnsTheUser()
    {
        var user = await Server.NewUserAsync();
        var self = await Server.ResultAsync("users.self", token: user.Token);
        Assert.That(self.GetProperty("id").GetString(), Is.EqualTo(user.Id));
        Assert.That(self.GetProperty("username").GetString(), Is.EqualTo(user.Username));
    }

    [TestCase(null, "authentication required: send a token as the auth member or an Authorization: Bearer header")]
    [TestCase("garbage", "invalid or revoked token")]
    [TestCase("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "invalid or revoked token")]
    public async Task Self_WithoutValidToken_IsAuthenticationError(string? token, string data)
    {
        var error = await Server.ErrorAsync("users.self", token: token);
        Assert.That(error.GetProperty("code").GetInt32(), Is.EqualTo(-32603));
        Assert.That(error.GetProperty("data").GetString(), Is.EqualTo(data));
    }

    [Test]
    public async Task Logout_RevokesOnlyTheTokenUsed()
    {
        var user = await Server.NewUserAsync();
        var other = (await Server.ResultAsync("users.auth", new { username = user.Username, password = user.Password })).GetProperty("token").GetString()!;
        Assert.That((await Server.ResultAsync("users.logout", token: user.Token)).GetBoolean(), Is.True);
        var error = await Server.ErrorAsync("users.self", token: user.Token);
        Assert.That(error.GetProperty("data").GetString(), Is.EqualTo("invalid or revoked token"));
        Assert.That((await Server.ResultAsync("users.self", token: other)).GetProperty("id").GetString(), Is.EqualTo(user.Id));
    }
}
