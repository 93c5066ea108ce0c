using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Rpc.Server.Data;
using Rpc.Server.Security;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Security;

/// <summary>Login limits keyed on the account reached, per-user session caps, session expiry and the login/password-change race.</summary>
public sealed class LoginAndSessionLimitsTests
{
    private const string Password = "correct horse battery";

    private static string Data(JsonElement error) => error.GetProperty("data").GetString()!;

    private static Task<RpcTestServer> StartAsync(FakeTimeProvider clock, Dictionary<string, string?> settings) =>
        RpcTestServer.StartAsync(settings, configureServices: s => s.AddSingleton<TimeProvider>(clock));

    [Test]
    public async Task Auth_OtherSpellingsOfTheSameTag_GetNoFreshTries()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await StartAsync(clock, new()
        {
            ["Accounts:UniqueUsernames"] = "false",
            ["RateLimits:LoginPerAccountAndAddress:Burst"] = "5",
        });
        var created = await server.ResultAsync("users.create", new { username = "selfie", password = Password });
        var tag = "selfie#" + created.GetProperty("discriminator").GetString();
        for (var i = 0; i < 5; i++)
        {
            Assert.That(Data(await server.ErrorAsync("users.auth", new { username = tag, password = "wrong password" })), Is.EqualTo("invalid password"));
        }

        foreach (var spelling in new[] { "\uFF53elfie", "\U0001D42Celfie", "SELFIE", "Selfie" })
        {
            var error = await server.ErrorAsync("users.auth", new { username = spelling + tag[6..], password = "wrong password" });
            Assert.That(Data(error), Does.StartWith("rate limited: retry after").And.EndWith("too many failed login attempts"), spelling);
        }
    }

    [Test]
    public async Task ChangePassword_WrongOldPasswords_CountAsFailedLoginsOfTheAccount()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await StartAsync(clock, new() { ["RateLimits:LoginPerAccountAndAddress:Burst"] = "3" });
        var user = await server.NewUserAsync();
        for (var i = 0; i < 3; i++)
        {
            Assert.That(Data(await server.ErrorAsync("users.changePassword", new { old_password = "wrong password", new_password = "new horse battery" }, user.Token)),
                Is.EqualTo("invalid password"));
        }

        Assert.That(Data(await server.ErrorAsync("users.changePassword", new { old_password = Password, new_password = "new horse battery" }, user.Token)),
            Does.StartWith("rate limited: retry after").And.EndWith("too many failed login attempts"));
        Assert.That(Data(await server.ErrorAsync("users.auth", new { username = user.Username, password = Password })),
            Does.StartWith("rate limited: retry after").And.EndWith("too many failed login attempts"));
    }

    [Test]
    public async Task Delete_BatchOfWrongPasswords_LimitedPerMessage_AndCountedAsFailedLoginsOfTheAccount()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await StartAsync(clock, new() { ["RateLimits:LoginPerAccountAndAddress:Burst"] = "3" });
        var user = await server.NewUserAsync();
        var members = Enumerable.Range(1, 6).Select(i => JsonSerializer.Serialize(new { jsonrpc = "2.0", method = "users.delete", auth = user.Token, @params = new { password = "wrong password" }, id = i }));
        var reply = await server.PostJsonAsync("[" + string.Join(",", members) + "]");
        var data = reply.EnumerateArray().OrderBy(r => r.GetProperty("id").GetInt32()).Select(r => Data(r.GetProperty("error"))).ToList();
        Assert.That(data.Take(3), Is.All.EqualTo("invalid password"));
        Assert.That(data[3], Does.StartWith("rate limited: retry after").And.EndWith("too many failed login attempts"), "the account's failed-login limit");
        Assert.That(data.Skip(4), Is.All.EqualTo("too many password checks in one message"), "the message's hash allowance");
        Assert.That(Data(await server.ErrorAsync("users.auth", new { username = user.Username, password = Password })),
            Does.StartWith("rate limited: retry after").And.EndWith("too many failed login attempts"), "the same limiter as logins, keyed on the account");
    }

    [Test]
    public async Task Login_BeyondTheSessionCap_RevokesTheOldest_AndClosesItsConnections()
    {
        await using var server = await RpcTestServer.StartAsync(new Dictionary<string, string?> { ["Sessions:MaxPerUser"] = "3" });
        var user = await server.NewUserAsync();
        await using var oldest = await GatewayClient.IdentifyAsync(server, user.Token);
        var tokens = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            tokens.Add((await server.ResultAsync("users.auth", new { username = user.Username, password = Password })).GetProperty("token").GetString()!);
        }

        Assert.That(Data(await server.ErrorAsync("users.self", token: user.Token)), Is.EqualTo("invalid or revoked token"));
        Assert.That(await oldest.WaitForCloseAsync(TimeSpan.FromSeconds(10)), Is.EqualTo(4004));
        foreach (var token in tokens)
        {
            await server.ResultAsync("users.self", token: token);
        }

        Assert.That((await server.ResultAsync("users.sessions", token: tokens[^1])).GetArrayLength(), Is.EqualTo(3));
    }

    [Test]
    public async Task Sessions_Expire_WhenIdle_AndAtTheirAbsoluteAge_AndArePurged()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await StartAsync(clock, new() { ["Sessions:IdleDays"] = "30", ["Sessions:AbsoluteDays"] = "365" });
        var idle = await server.NewUserAsync();
        var busy = await server.NewUserAsync();
        var login = clock.GetUtcNow();

        var listed = (await server.ResultAsync("users.sessions", token: busy.Token))[0];
        Assert.That(listed.GetProperty("expires_at").GetDateTimeOffset(), Is.EqualTo(login.AddDays(30)).Within(TimeSpan.FromSeconds(1)));

        // The busy session is used every 20 days: it outlives the idle one but not its absolute age.
        for (var day = 20; day < 360; day += 20)
        {
            clock.Advance(TimeSpan.FromDays(20));
            await server.ResultAsync("users.self", token: busy.Token);
            if (day == 40)
            {
                Assert.That(Data(await server.ErrorAsync("users.self", token: idle.Token)), Is.EqualTo("invalid or revoked token"));
            }
        }

        var last = (await server.ResultAsync("users.sessions", token: busy.Token))[0];
        Assert.That(last.GetProperty("expires_at").GetDateTimeOffset(), Is.EqualTo(login.AddDays(365)).Within(TimeSpan.FromSeconds(1)), "capped by the absolute age");
        clock.Advance(TimeSpan.FromDays(26));
        Assert.That(Data(await server.ErrorAsync("users.self", token: busy.Token)), Is.EqualTo("invalid or revoked token"));

        // The sweeper's timer runs on the same fake clock, so it may have purged them already; either way none is left.
        await server.Get<SessionExpirySweeper>().SweepAsync(CancellationToken.None);
        Assert.That(await TestStaff.QueryScalarAsync<long>(server, "SELECT COUNT(*) FROM sessions"), Is.EqualTo(0));
    }

    [Test]
    public async Task Login_WhosePasswordChangedAfterItWasChecked_GetsNoSession_AndWritesNoOldHash()
    {
        var server = SharedServer.Instance;
        var user = await server.NewUserAsync();
        var userId = long.Parse(user.Id, System.Globalization.CultureInfo.InvariantCulture);
        string verified;
        await using (var connection = await server.OpenDatabaseAsync())
        {
            verified = await connection.ExecuteScalarAsync<string>("SELECT password_hash FROM users WHERE id = @userId", new { userId }) ?? "";
        }

        // The password changes between the login's check and its session.
        await server.ResultAsync("users.changePassword", new { old_password = Password, new_password = "new horse battery" }, user.Token);
        var sessions = server.Get<SessionRepository>();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var session = new NewSession { Id = Random.Shared.NextInt64(1L << 40, 1L << 50), UserId = userId, TokenHash = TokenService.Hash(TokenService.NewToken()), CreatedAt = now };
        var rehash = await server.Get<PasswordHasher>().HashAsync(Password, CancellationToken.None);
        Assert.That(await sessions.InsertForCredentialAsync(session, verified, rehash, 100, new SessionCutoffs(0, 0), CancellationToken.None), Is.Null);

        Assert.That(await TestStaff.QueryScalarAsync<long>(server, "SELECT COUNT(*) FROM sessions WHERE id = @id", new { id = session.Id }), Is.EqualTo(0));
        Assert.That(Data(await server.ErrorAsync("users.auth", new { username = user.Username, password = Password })), Is.EqualTo("invalid password"));
        await server.ResultAsync("users.auth", new { username = user.Username, password = "new horse battery" });
    }

    [Test]
    public async Task Login_RacingAPasswordChange_NeverLeavesTheOldPasswordWorking()
    {
        // A login that needs a rehash (its hash has older parameters) is slow after its check: a password
        // change committing in that window must win. Whatever the interleaving, the new password works,
        // the old one does not, and no session of the old password survives.
        var directory = Path.Combine(Path.GetTempPath(), "rpc-tests", Guid.NewGuid().ToString("N"));
        TestUser user;
        await using (var first = await RpcTestServer.StartAsync(new Dictionary<string, string?> { ["Passwords:Iterations"] = "1" }, directory))
        {
            first.KeepFiles = true;
            user = await first.NewUserAsync();
        }

        await using var server = await RpcTestServer.StartAsync(new Dictionary<string, string?> { ["Passwords:Iterations"] = "6" }, directory);
        var change = server.CallAsync("users.changePassword", new { old_password = Password, new_password = "new horse battery" }, user.Token);
        await Task.Delay(30);
        var login = server.CallAsync("users.auth", new { username = user.Username, password = Password });
        var (changed, loggedIn) = (await change, await login);
        Assert.That(changed.TryGetProperty("result", out _), Is.True, changed.ToString());
        if (loggedIn.TryGetProperty("result", out var result))
        {
            Assert.That(Data(await server.ErrorAsync("users.self", token: result.GetProperty("token").GetString())), Is.EqualTo("invalid or revoked token"));
        }

        Assert.That(Data(await server.ErrorAsync("users.auth", new { username = user.Username, password = Password })), Is.EqualTo("invalid password"));
        await server.ResultAsync("users.auth", new { username = user.Username, password = "new horse battery" });
    }
}
