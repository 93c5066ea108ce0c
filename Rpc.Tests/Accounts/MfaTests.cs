using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using OtpNet;
using Rpc.Contracts.Protocol;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Accounts;

/// <summary>Two-factor login (issue #15 item 1), with real TOTP codes computed here from the secret.</summary>
public sealed class MfaTests
{
    private const string Password = "correct horse battery";
    private readonly FakeTimeProvider clock = new(DateTimeOffset.UtcNow);
    private RpcTestServer server = null!;

    [OneTimeSetUp]
    public async Task StartAsync() =>
        server = await RpcTestServer.StartAsync(new Dictionary<string, string?> { ["RateLimits:LoginPerAccount:Burst"] = "6" }, configureServices: s => s.AddSingleton<TimeProvider>(clock));

    [OneTimeTearDown]
    public async Task StopAsync() => await server.DisposeAsync();

    private static string Data(JsonElement error) => error.GetProperty("data").GetString()!;

    private string Code(string secret) => new Totp(Base32Encoding.ToBytes(secret)).ComputeTotp(clock.GetUtcNow().UtcDateTime);

    /// <summary>Moves to the next 30-second step, so a fresh code exists.</summary>
    private void NextStep() => clock.Advance(TimeSpan.FromSeconds(30));

    private async Task<(TestUser User, string Secret, string[] BackupCodes)> EnrolledUserAsync(string prefix)
    {
        var user = await server.NewUserAsync(prefix);
        var secret = (await server.ResultAsync("users.mfa.enable", token: user.Token)).GetProperty("secret").GetString()!;
        var codes = await server.ResultAsync("users.mfa.confirm", new { code = Code(secret) }, user.Token);
        NextStep();
        return (user, secret, codes.GetProperty("backup_codes").EnumerateArray().Select(c => c.GetString()!).ToArray());
    }

    private async Task<string> TicketAsync(TestUser user)
    {
        var first = await server.ResultAsync("users.auth", new { username = user.Username, password = Password });
        Assert.That(first.GetProperty("mfa_required").GetBoolean(), Is.True);
        Assert.That(first.TryGetProperty("token", out _), Is.False, "no token before the second factor");
        Assert.That(first.GetProperty("user_id").GetString(), Is.EqualTo(user.Id));
        return first.GetProperty("ticket").GetString()!;
    }

    [Test]
    public async Task EnableConfirm_ThenLoginTakesTwoSteps_OverHttpAndWebSocket()
    {
        var user = await server.NewUserAsync("mfa");
        Assert.That((await server.ResultAsync("users.self", token: user.Token)).GetProperty("mfa_enabled").GetBoolean(), Is.False);
        var enrolment = await server.ResultAsync("users.mfa.enable", token: user.Token);
        var secret = enrolment.GetProperty("secret").GetString()!;
        Assert.That(Base32Encoding.ToBytes(secret), Has.Length.EqualTo(20));
        Assert.That(enrolment.GetProperty("otpauth_uri").GetString(), Does.StartWith("otpauth://totp/").And.Contain("secret=" + secret).And.Contain("issuer=Chat"));

        // Pending until confirmed: a login still gets a token at once.
        Assert.That((await server.ResultAsync("users.auth", new { username = user.Username, password = Password })).TryGetProperty("token", out _), Is.True);
        Assert.That(Data(await server.ErrorAsync("users.mfa.confirm", new { code = "000000" }, user.Token)), Is.EqualTo(ErrorData.MfaCodeInvalid));
        var confirmed = await server.ResultAsync("users.mfa.confirm", new { code = Code(secret) }, user.Token);
        var backupCodes = confirmed.GetProperty("backup_codes").EnumerateArray().Select(c => c.GetString()!).ToArray();
        Assert.That(backupCodes, Has.Length.EqualTo(10));
        Assert.That(backupCodes, Is.All.Match("^[a-z2-9]{4}-[a-z2-9]{4}$"));
        Assert.That(backupCodes, Is.Unique);
        Assert.That((await server.ResultAsync("users.self", token: user.Token)).GetProperty("mfa_enabled").GetBoolean(), Is.True);
        Assert.That((await server.ResultAsync("users.get", new { user_id = user.Id }, user.Token)).TryGetProperty("mfa_enabled", out _), Is.False, "only users.self shows it");
        Assert.That(Data(await server.ErrorAsync("users.mfa.enable", token: user.Token)), Is.EqualTo(ErrorData.MfaAlreadyOn));

        NextStep();
        var ticket = await TicketAsync(user);
        var login = await server.ResultAsync("users.auth.mfa", new { ticket, code = Code(secret) });
        var token = login.GetProperty("token").GetString()!;
        Assert.That((await server.ResultAsync("users.self", token: token)).GetProperty("id").GetString(), Is.EqualTo(user.Id));

        NextStep();
        await using var ws = await GatewayClient.ConnectAsync(server);
        var wsFirst = await ws.CallAsync("users.auth", new { username = user.Username, password = Password });
        var wsTicket = wsFirst.GetProperty("result").GetProperty("ticket").GetString();
        var wsLogin = await ws.CallAsync("users.auth.mfa", new { ticket = wsTicket, code = Code(secret) });
        Assert.That(wsLogin.GetProperty("result").GetProperty("token").GetString(), Has.Length.EqualTo(43));
        Assert.That((await ws.NextEventAsync()).GetProperty("t").GetString(), Is.EqualTo("READY"), "users.auth.mfa signs the connection in, as users.auth does");
        var self = await ws.CallAsync("users.self");
        Assert.That(self.GetProperty("result").GetProperty("id").GetString(), Is.EqualTo(user.Id));
    }

    [Test]
    public async Task ACode_IsAcceptedOnce_AndATicketOnce()
    {
        var (user, secret, _) = await EnrolledUserAsync("once");
        var code = Code(secret);
        var ticket = await TicketAsync(user);
        Assert.That(Data(await server.ErrorAsync("users.auth.mfa", new { ticket, code = "123456" == code ? "654321" : "123456" })), Is.EqualTo(ErrorData.MfaCodeInvalid));
        await server.ResultAsync("users.auth.mfa", new { ticket, code });
        Assert.That(Data(await server.ErrorAsync("users.auth.mfa", new { ticket, code })), Is.EqualTo(ErrorData.MfaTicketInvalid));

        var second = await TicketAsync(user);
        Assert.That(Data(await server.ErrorAsync("users.auth.mfa", new { ticket = second, code })), Is.EqualTo(ErrorData.MfaCodeInvalid), "the same step's code is not taken twice");
        NextStep();
        await server.ResultAsync("users.auth.mfa", new { ticket = second, code = Code(secret) });
    }

    [Test]
    public async Task TwoLoginsRacingWithOneCode_OneWins()
    {
        var (user, secret, _) = await EnrolledUserAsync("race");
        var tickets = new[] { await TicketAsync(user), await TicketAsync(user) };
        var code = Code(secret);
        var replies = await Task.WhenAll(tickets.Select(t => server.CallAsync("users.auth.mfa", new { ticket = t, code })));
        Assert.That(replies.Count(r => r.TryGetProperty("result", out _)), Is.EqualTo(1));
        Assert.That(replies.Single(r => r.TryGetProperty("error", out _)).GetProperty("error").GetProperty("data").GetString(), Is.EqualTo(ErrorData.MfaCodeInvalid));
    }

    [Test]
    public async Task TwoConfirmsWithOneCode_OneTurnsItOn()
    {
        var user = await server.NewUserAsync("conf");
        var secret = (await server.ResultAsync("users.mfa.enable", token: user.Token)).GetProperty("secret").GetString()!;
        var code = Code(secret);
        var replies = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => server.CallAsync("users.mfa.confirm", new { code }, user.Token)));
        Assert.That(replies.Count(r => r.TryGetProperty("result", out _)), Is.EqualTo(1));
        Assert.That(replies.Single(r => r.TryGetProperty("error", out _)).GetProperty("error").GetProperty("data").GetString(),
            Is.AnyOf(ErrorData.MfaAlreadyOn, ErrorData.MfaCodeInvalid));
        NextStep();
    }

    [Test]
    public async Task BackupCodes_LogInOnce_AndDisable()
    {
        var (user, _, backupCodes) = await EnrolledUserAsync("backup");
        var ticket = await TicketAsync(user);
        await server.ResultAsync("users.auth.mfa", new { ticket, code = backupCodes[0].ToUpperInvariant().Replace("-", " ") });
        var again = await TicketAsync(user);
        Assert.That(Data(await server.ErrorAsync("users.auth.mfa", new { ticket = again, code = backupCodes[0] })), Is.EqualTo(ErrorData.MfaCodeInvalid));

        Assert.That(Data(await server.ErrorAsync("users.mfa.disable", new { code = "not-a-code" }, user.Token)), Is.EqualTo(ErrorData.MfaCodeInvalid));
        await server.ResultAsync("users.mfa.disable", new { code = backupCodes[1] }, user.Token);
        Assert.That((await server.ResultAsync("users.self", token: user.Token)).GetProperty("mfa_enabled").GetBoolean(), Is.False);
        Assert.That((await server.ResultAsync("users.auth", new { username = user.Username, password = Password })).TryGetProperty("token", out _), Is.True);
        Assert.That(Data(await server.ErrorAsync("users.mfa.disable", new { code = backupCodes[2] }, user.Token)), Is.EqualTo(ErrorData.MfaNotOn));
        Assert.That(Data(await server.ErrorAsync("users.mfa.confirm", new { code = "123456" }, user.Token)), Is.EqualTo(ErrorData.MfaNotPending));
    }

    [Test]
    public async Task WrongCodes_CountAgainstTheAccountsLoginLimits_AndTicketsExpire()
    {
        var (user, secret, _) = await EnrolledUserAsync("limit");
        var ticket = await TicketAsync(user);
        JsonElement last = default;
        for (var i = 0; i < 8; i++)
        {
            last = await server.ErrorAsync("users.auth.mfa", new { ticket, code = i % 2 == 0 ? "000000" : "999999" });
        }

        Assert.That(Data(last), Does.StartWith("rate limited: retry after ").And.EndWith("too many failed login attempts"));
        Assert.That(Data(await server.ErrorAsync("users.auth.mfa", new { ticket, code = Code(secret) })), Does.StartWith("rate limited: retry after "), "a right code waits too");

        clock.Advance(TimeSpan.FromHours(2));
        Assert.That(Data(await server.ErrorAsync("users.auth.mfa", new { ticket, code = Code(secret) })), Is.EqualTo(ErrorData.MfaTicketInvalid));
        Assert.That(Data(await server.ErrorAsync("users.auth.mfa", new { ticket = "short", code = Code(secret) })), Is.EqualTo(ErrorData.MfaTicketInvalid));
    }

    [Test]
    public async Task RequireStaffMfa_RefusesStaffWithoutIt_OnAdminAndDiscordMethods()
    {
        await using var strict = await RpcTestServer.StartAsync(new Dictionary<string, string?> { ["Security:RequireStaffMfa"] = "true" }, configureServices: s => s.AddSingleton<TimeProvider>(clock));
        var staff = await strict.NewStaffAsync();
        Assert.That(Data(await strict.ErrorAsync("admin.invites.list", new { }, staff.Token)), Is.EqualTo(ErrorData.StaffMfaRequired));
        Assert.That(Data(await strict.ErrorAsync("discord.roles.list", new { user_id = staff.Id }, staff.Token)), Is.EqualTo(ErrorData.StaffMfaRequired));
        var user = await strict.NewUserAsync("plain");
        Assert.That(Data(await strict.ErrorAsync("admin.invites.list", new { }, user.Token)), Is.EqualTo(ErrorData.StaffOnly), "non-staff get the usual refusal");
        await strict.ResultAsync("users.self", token: staff.Token);

        var secret = (await strict.ResultAsync("users.mfa.enable", token: staff.Token)).GetProperty("secret").GetString()!;
        await strict.ResultAsync("users.mfa.confirm", new { code = Code(secret) }, staff.Token);
        await strict.ResultAsync("admin.invites.list", new { }, staff.Token);
        NextStep();
    }

    [Test]
    public async Task StaffTurnOffALostSecondFactor_LoginTakesThePasswordAlone_Audited_NotForStaffOrOthers()
    {
        var staff = await server.NewStaffAsync();
        var (user, _, _) = await EnrolledUserAsync("lost");
        var bystander = await server.NewUserAsync("by");
        await TicketAsync(user);

        var notStaff = await server.ErrorAsync("admin.users.mfa.disable", new { user_id = user.Id }, bystander.Token);
        Assert.That(notStaff.GetProperty("code").GetInt32(), Is.EqualTo(-32603), "staff only");
        Assert.That((await server.ResultAsync("admin.users.get", new { user_id = user.Id }, staff.Token)).GetProperty("mfa_enabled").GetBoolean(), Is.True);

        var details = await server.ResultAsync("admin.users.mfa.disable", new { user_id = user.Id }, staff.Token);
        Assert.That(details.GetProperty("mfa_enabled").GetBoolean(), Is.False);
        Assert.That(details.GetProperty("session_count").GetInt32(), Is.GreaterThanOrEqualTo(1), "its sessions are kept");
        var login = await server.ResultAsync("users.auth", new { username = user.Username, password = Password });
        Assert.That(login.TryGetProperty("token", out _), Is.True, "the password alone logs in");
        Assert.That((await server.ResultAsync("users.self", token: user.Token)).GetProperty("mfa_enabled").GetBoolean(), Is.False);

        Assert.That(Data(await server.ErrorAsync("admin.users.mfa.disable", new { user_id = user.Id }, staff.Token)), Is.EqualTo(ErrorData.MfaNotOn));
        var audit = (await server.ResultAsync("admin.audit.list", new { limit = 100 }, staff.Token)).EnumerateArray()
            .Where(r => r.GetProperty("action").GetString() == "user.mfa.disable" && r.GetProperty("target_id").GetString() == user.Id).ToList();
        Assert.That(audit.Select(r => r.GetProperty("actor_id").GetString()), Is.EqualTo(new[] { staff.Id }));

        // One staff account cannot strip another's second factor.
        var otherStaff = await server.NewStaffAsync();
        var secret = (await server.ResultAsync("users.mfa.enable", token: otherStaff.Token)).GetProperty("secret").GetString()!;
        await server.ResultAsync("users.mfa.confirm", new { code = Code(secret) }, otherStaff.Token);
        NextStep();
        Assert.That(Data(await server.ErrorAsync("admin.users.mfa.disable", new { user_id = otherStaff.Id }, staff.Token)), Is.EqualTo(ErrorData.CannotDisableStaffMfa));
        Assert.That((await server.ResultAsync("admin.users.get", new { user_id = otherStaff.Id }, staff.Token)).GetProperty("mfa_enabled").GetBoolean(), Is.True);
    }
}
