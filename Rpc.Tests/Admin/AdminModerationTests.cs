using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Rpc.Contracts.Protocol;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Admin;

/// <summary>admin.users.get, .disable, .enable, .sessions.revoke, .resetPassword and users.resetPassword (issue #15 items 3 and 4).</summary>
public sealed class AdminModerationTests
{
    private const string Password = "correct horse battery";
    private readonly FakeTimeProvider clock = new(DateTimeOffset.UtcNow);
    private RpcTestServer server = null!;
    private TestUser staff = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        server = await RpcTestServer.StartAsync(configureServices: s => s.AddSingleton<TimeProvider>(clock));
        staff = await server.NewStaffAsync();
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await server.DisposeAsync();

    private static string Data(JsonElement error) => error.GetProperty("data").GetString()!;

    private async Task<WsClient> IdentifiedSocketAsync(string token)
    {
        var ws = await WsClient.ConnectAsync(server.WebSocketUri);
        var reply = await ws.CallAsync($$"""{"jsonrpc":"2.0","method":"users.identify","params":["{{token}}"],"id":1}""");
        Assert.That(reply.TryGetProperty("result", out _), Is.True, reply.ToString());
        return ws;
    }

    private static async Task<int?> CloseCodeAsync(WsClient ws)
    {
        while (await ws.ReceiveAsync(TimeSpan.FromSeconds(20)) is not null)
        {
        }

        return (int?)ws.Socket.CloseStatus;
    }

    private async Task<JsonElement> AuditAsync(string action, string targetId)
    {
        var entries = await server.ResultAsync("admin.audit.list", new { limit = 100 }, staff.Token);
        return entries.EnumerateArray().Last(e => e.GetProperty("action").GetString() == action && e.GetProperty("target_id").GetString() == targetId);
    }

    [Test]
    public async Task Get_ShowsTheAccountAsStaffSeeIt()
    {
        var user = await server.NewUserAsync("get");
        await server.ResultAsync("users.auth", new { username = user.Username, password = Password });
        var details = await server.ResultAsync("admin.users.get", new { user_id = user.Id }, staff.Token);
        Assert.That(details.GetProperty("user").GetProperty("id").GetString(), Is.EqualTo(user.Id));
        Assert.That(details.GetProperty("session_count").GetInt32(), Is.EqualTo(2));
        Assert.That(details.GetProperty("disabled").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(details.GetProperty("mfa_enabled").GetBoolean(), Is.False);
        Assert.That(details.GetProperty("bot_owner_id").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(details.GetProperty("deleted_at").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(details.GetProperty("created_at").GetDateTimeOffset(), Is.EqualTo(clock.GetUtcNow()).Within(TimeSpan.FromSeconds(1)));

        Assert.That(Data(await server.ErrorAsync("admin.users.get", new { user_id = "77" }, staff.Token)), Is.EqualTo(ErrorData.UserNotFound(77)));
        Assert.That(Data(await server.ErrorAsync("admin.users.get", new { user_id = user.Id }, user.Token)), Does.Contain("staff"));
    }

    [Test]
    public async Task Disable_EndsSessionsAndConnections_RefusesLogins_UntilEnabled_AndIsAudited()
    {
        var user = await server.NewUserAsync("dis");
        await using var ws = await IdentifiedSocketAsync(user.Token);

        var details = await server.ResultAsync("admin.users.disable", new { user_id = user.Id, reason = "  spam  " }, staff.Token);
        Assert.That(details.GetProperty("disabled").GetProperty("reason").GetString(), Is.EqualTo("spam"));
        Assert.That(details.GetProperty("disabled").GetProperty("until").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(details.GetProperty("disabled").GetProperty("actor_id").GetString(), Is.EqualTo(staff.Id));
        Assert.That(details.GetProperty("session_count").GetInt32(), Is.Zero);

        Assert.That(await CloseCodeAsync(ws), Is.EqualTo(4005));
        Assert.That(ws.Socket.CloseStatusDescription, Is.EqualTo("account disabled"));
        Assert.That(Data(await server.ErrorAsync("users.self", token: user.Token)), Is.EqualTo(ErrorData.InvalidToken));
        Assert.That(Data(await server.ErrorAsync("users.auth", new { username = user.Username, password = Password })), Is.EqualTo(ErrorData.AccountDisabled));
        await using (var socket = await WsClient.ConnectAsync(server.WebSocketUri))
        {
            var refused = await socket.CallAsync($$"""{"jsonrpc":"2.0","method":"users.auth","params":{"username":"{{user.Username}}","password":"{{Password}}"},"id":1}""");
            Assert.That(refused.GetProperty("error").GetProperty("data").GetString(), Is.EqualTo(ErrorData.AccountDisabled));
        }

        // A wrong password still says only that: the disable shows to whoever knows the password.
        Assert.That(Data(await server.ErrorAsync("users.auth", new { username = user.Username, password = "wrong password" })), Is.EqualTo(ErrorData.InvalidPassword));
        Assert.That((await AuditAsync("user.disable", user.Id)).GetProperty("after").GetProperty("reason").GetString(), Is.EqualTo("spam"));

        var enabled = await server.ResultAsync("admin.users.enable", new { user_id = user.Id }, staff.Token);
        Assert.That(enabled.GetProperty("disabled").ValueKind, Is.EqualTo(JsonValueKind.Null));
        await server.ResultAsync("users.auth", new { username = user.Username, password = Password });
        Assert.That((await AuditAsync("user.enable", user.Id)).GetProperty("before").GetProperty("reason").GetString(), Is.EqualTo("spam"));
        Assert.That(Data(await server.ErrorAsync("admin.users.enable", new { user_id = user.Id }, staff.Token)), Is.EqualTo(ErrorData.UserNotDisabled(long.Parse(user.Id))));
    }

    [Test]
    public async Task Disable_WithAnEnd_SaysUntilWhen_AndLiftsByItself()
    {
        var user = await server.NewUserAsync("until");
        var until = clock.GetUtcNow().AddHours(2);
        var iso = until.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var details = await server.ResultAsync("admin.users.disable", new { user_id = user.Id, reason = "cool down", until = iso }, staff.Token);
        Assert.That(details.GetProperty("disabled").GetProperty("until").GetDateTimeOffset(), Is.EqualTo(until).Within(TimeSpan.FromSeconds(1)));
        Assert.That(Data(await server.ErrorAsync("users.auth", new { username = user.Username, password = Password })), Is.EqualTo($"account disabled until {iso}"));

        clock.Advance(TimeSpan.FromHours(2) + TimeSpan.FromSeconds(1));
        await server.ResultAsync("users.auth", new { username = user.Username, password = Password });
        var after = await server.ResultAsync("admin.users.get", new { user_id = user.Id }, staff.Token);
        Assert.That(after.GetProperty("disabled").ValueKind, Is.EqualTo(JsonValueKind.Null));
    }

    [TestCase("", null, ErrorData.DisableReasonLength)]
    [TestCase("   ", null, ErrorData.DisableReasonLength)]
    [TestCase("ok", "tomorrow", ErrorData.DisableUntilFormat)]
    [TestCase("ok", "2030-01-01 00:00:00", ErrorData.DisableUntilFormat)]
    [TestCase("ok", "2030-01-01T00:00:00", ErrorData.DisableUntilFormat)]
    [TestCase("ok", "2030-01-01T00:00:00Z\n", ErrorData.DisableUntilFormat)]
    [TestCase("ok", "2001-01-01T00:00:00Z", ErrorData.DisableUntilPast)]
    public async Task Disable_BadInput_IsRefusedClearly(string reason, string? until, string data)
    {
        var user = await server.NewUserAsync("bad");
        Assert.That(Data(await server.ErrorAsync("admin.users.disable", new { user_id = user.Id, reason, until }, staff.Token)), Is.EqualTo(data));
        await server.ResultAsync("users.self", token: user.Token);
    }

    [Test]
    public async Task Disable_StaffOrUnknownOrDeleted_IsRefused()
    {
        var otherStaff = await server.NewStaffAsync();
        Assert.That(Data(await server.ErrorAsync("admin.users.disable", new { user_id = otherStaff.Id, reason = "x" }, staff.Token)), Is.EqualTo(ErrorData.CannotDisableStaff));
        Assert.That(Data(await server.ErrorAsync("admin.users.disable", new { user_id = staff.Id, reason = "x" }, staff.Token)), Is.EqualTo(ErrorData.CannotDisableStaff));
        Assert.That(Data(await server.ErrorAsync("admin.users.disable", new { user_id = "77", reason = "x" }, staff.Token)), Is.EqualTo(ErrorData.UserNotFound(77)));
        var gone = await server.NewUserAsync("gone");
        await server.ResultAsync("admin.users.delete", new { user_id = gone.Id }, staff.Token);
        Assert.That(Data(await server.ErrorAsync("admin.users.disable", new { user_id = gone.Id, reason = "x" }, staff.Token)), Is.EqualTo(ErrorData.UserDeleted(long.Parse(gone.Id))));
    }

    [Test]
    public async Task Disable_RacingLogins_LeavesNoLiveSession()
    {
        var user = await server.NewUserAsync("race");
        var logins = Enumerable.Range(0, 12).Select(_ => server.CallAsync("users.auth", new { username = user.Username, password = Password })).ToList();
        var disable = server.ResultAsync("admin.users.disable", new { user_id = user.Id, reason = "race" }, staff.Token);
        await Task.WhenAll(logins);
        await disable;
        foreach (var login in logins)
        {
            var reply = await login;
            if (reply.TryGetProperty("result", out var result))
            {
                Assert.That(Data(await server.ErrorAsync("users.self", token: result.GetProperty("token").GetString())), Is.EqualTo(ErrorData.InvalidToken));
            }
            else
            {
                Assert.That(reply.GetProperty("error").GetProperty("data").GetString(), Is.EqualTo(ErrorData.AccountDisabled));
            }
        }

        await using var connection = await server.OpenDatabaseAsync();
        Assert.That(await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM sessions WHERE user_id = @id AND revoked_at IS NULL", new { id = long.Parse(user.Id) }), Is.Zero);
    }

    [Test]
    public async Task SessionsRevoke_EndsEverySession_ClosesWith4004_AndLoginStillWorks()
    {
        var user = await server.NewUserAsync("rev");
        await server.ResultAsync("users.auth", new { username = user.Username, password = Password });
        await using var ws = await IdentifiedSocketAsync(user.Token);
        var result = await server.ResultAsync("admin.users.sessions.revoke", new { user_id = user.Id }, staff.Token);
        Assert.That(result.GetProperty("revoked").GetInt32(), Is.EqualTo(2));
        Assert.That(await CloseCodeAsync(ws), Is.EqualTo(4004));
        Assert.That(Data(await server.ErrorAsync("users.self", token: user.Token)), Is.EqualTo(ErrorData.InvalidToken));
        await server.ResultAsync("users.auth", new { username = user.Username, password = Password });
        Assert.That((await AuditAsync("user.sessions.revoke", user.Id)).GetProperty("after").GetProperty("revoked").GetInt32(), Is.EqualTo(2));
    }

    [Test]
    public async Task ResetPassword_CodeSetsTheNewPassword_Once_AndEndsEverySession()
    {
        var user = await server.NewUserAsync("reset");
        await using var ws = await IdentifiedSocketAsync(user.Token);
        var issued = await server.ResultAsync("admin.users.resetPassword", new { user_id = user.Id }, staff.Token);
        var code = issued.GetProperty("code").GetString()!;
        Assert.That(code, Does.Match("^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$"));
        Assert.That(issued.GetProperty("expires_at").GetDateTimeOffset(), Is.EqualTo(clock.GetUtcNow().AddHours(24)).Within(TimeSpan.FromSeconds(1)));
        await using (var connection = await server.OpenDatabaseAsync())
        {
            Assert.That(await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM password_resets WHERE code_hash LIKE @code", new { code = "%" + code.Replace("-", "") + "%" }), Is.Zero, "stored hashed");
        }

        Assert.That(Data(await server.ErrorAsync("users.resetPassword", new { code, password = "short" })), Is.EqualTo("password must be between 8 and 128 characters"));
        Assert.That(await server.ResultAsync("users.resetPassword", new { code = code.ToLowerInvariant().Replace("-", " "), password = "brand new password" }), Has.Property("ValueKind").EqualTo(JsonValueKind.True));
        Assert.That(await CloseCodeAsync(ws), Is.EqualTo(4004));
        Assert.That(Data(await server.ErrorAsync("users.self", token: user.Token)), Is.EqualTo(ErrorData.InvalidToken));
        Assert.That(Data(await server.ErrorAsync("users.auth", new { username = user.Username, password = Password })), Is.EqualTo(ErrorData.InvalidPassword));
        await server.ResultAsync("users.auth", new { username = user.Username, password = "brand new password" });

        Assert.That(Data(await server.ErrorAsync("users.resetPassword", new { code, password = "another new password" })), Is.EqualTo(ErrorData.ResetCodeInvalid));
        Assert.That(Data(await server.ErrorAsync("users.resetPassword", new { code = "not a code", password = "another new password" })), Is.EqualTo(ErrorData.ResetCodeInvalid));
        await AuditAsync("user.password_reset.issue", user.Id);
        await AuditAsync("user.password_reset", user.Id);
    }

    [Test]
    public async Task ResetPassword_TwoSpendsOfOneCode_OneWins()
    {
        var user = await server.NewUserAsync("twice");
        var code = (await server.ResultAsync("admin.users.resetPassword", new { user_id = user.Id }, staff.Token)).GetProperty("code").GetString()!;
        var spends = await Task.WhenAll(
            server.CallAsync("users.resetPassword", new { code, password = "first new password" }),
            server.CallAsync("users.resetPassword", new { code, password = "second new password" }));
        Assert.That(spends.Count(s => s.TryGetProperty("result", out _)), Is.EqualTo(1));
        Assert.That(spends.Single(s => s.TryGetProperty("error", out _)).GetProperty("error").GetProperty("data").GetString(), Is.EqualTo(ErrorData.ResetCodeInvalid));
        var winner = spends[0].TryGetProperty("result", out _) ? "first new password" : "second new password";
        await server.ResultAsync("users.auth", new { username = user.Username, password = winner });
    }

    [Test]
    public async Task ResetPassword_ExpiresAfterADay_AndANewCodeVoidsTheOld()
    {
        var user = await server.NewUserAsync("expire");
        var old = (await server.ResultAsync("admin.users.resetPassword", new { user_id = user.Id }, staff.Token)).GetProperty("code").GetString()!;
        var fresh = (await server.ResultAsync("admin.users.resetPassword", new { user_id = user.Id }, staff.Token)).GetProperty("code").GetString()!;
        Assert.That(Data(await server.ErrorAsync("users.resetPassword", new { code = old, password = "brand new password" })), Is.EqualTo(ErrorData.ResetCodeInvalid));
        clock.Advance(TimeSpan.FromHours(24));
        Assert.That(Data(await server.ErrorAsync("users.resetPassword", new { code = fresh, password = "brand new password" })), Is.EqualTo(ErrorData.ResetCodeInvalid));
    }
}
