using Rpc.Contracts.Protocol;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Management;

/// <summary>
/// The real <c>Rpc.Server.dll manage …</c> process (what <c>./run.sh manage</c> runs) against the
/// database of a running test server, SQLite file or PostgreSQL database: its changes take effect
/// without a restart.
/// </summary>
public sealed class ManageCommandTests
{
    private RpcTestServer server = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => server = await RpcTestServer.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await server.DisposeAsync();

    private Task<(int Exit, string Out, string Err)> ManageAsync(params string[] args) => ManageProcess.RunAsync(ManageProcess.TargetOf(server), args);

    [Test]
    public async Task MakeStaff_ReachesTheUsersGatewayOnTheRunningServer()
    {
        var user = await server.NewUserAsync("cli");
        await using var gateway = await GatewayClient.IdentifyAsync(server, user.Token);

        var made = await ManageAsync("make-staff", user.Username);
        Assert.That(made.Exit, Is.Zero, made.Err);
        Assert.That(made.Out, Does.Contain("sent 1 event(s) to the running servers"));
        // SQLite: the server polls the outbox every Cluster:OutboxPollInterval (1 s); PostgreSQL: NOTIFY wakes it.
        var update = (await gateway.NextEventAsync("USER_UPDATE", TimeSpan.FromSeconds(20))).GetProperty("d");
        Assert.That(update.GetProperty("id").GetString(), Is.EqualTo(user.Id));
        Assert.That(update.GetProperty("flags").EnumerateArray().Select(f => f.GetInt32()), Does.Contain(0), "the Staff flag");
        Assert.That(await gateway.HasEventAsync("USER_UPDATE", TimeSpan.FromSeconds(2)), Is.False, "delivered once");
    }

    [Test]
    public async Task MakeStaff_ListStaff_RemoveStaff_TakeEffectOnTheRunningServer()
    {
        var user = await server.NewUserAsync("cli");
        var refused = await server.ErrorAsync("admin.invites.list", new { }, user.Token);
        Assert.That(refused.GetProperty("data").GetString(), Is.EqualTo(ErrorData.StaffOnly));

        var made = await ManageAsync("make-staff", user.Username.ToUpperInvariant());
        Assert.That(made.Exit, Is.Zero, made.Err);
        Assert.That(made.Out, Does.Contain($"{user.Username}#").And.Contain($"(id {user.Id}) is now staff"));
        // The server learns of it through the outbox (polled every Cluster:OutboxPollInterval on SQLite); the session it cached till then is dropped.
        await Eventually.WaitUntilAsync(async () => (await server.CallAsync("admin.invites.list", new { }, user.Token)).TryGetProperty("result", out _), because: "make-staff reached the running server");

        var again = await ManageAsync("make-staff", user.Username);
        Assert.That(again.Exit, Is.Zero);
        Assert.That(again.Out, Does.Contain("is already staff; nothing changed"));

        var list = await ManageAsync("list-staff");
        Assert.That(list.Exit, Is.Zero);
        Assert.That(list.Out, Does.Contain($"(id {user.Id})"));

        var audit = await server.ResultAsync("admin.audit.list", new { }, user.Token);
        var grant = audit.EnumerateArray().First(e => e.GetProperty("action").GetString() == "user.staff.grant" && e.GetProperty("target_id").GetString() == user.Id);
        Assert.That(grant.GetProperty("actor_id").ValueKind, Is.EqualTo(System.Text.Json.JsonValueKind.Null));
        Assert.That(grant.GetProperty("after").GetProperty("flags")[0].GetInt32(), Is.Zero);

        var removed = await ManageAsync("remove-staff", user.Username);
        Assert.That(removed.Exit, Is.Zero, removed.Err);
        Assert.That(removed.Out, Does.Contain("is no longer staff"));
        await Eventually.WaitUntilAsync(async () => (await server.CallAsync("admin.invites.list", new { }, user.Token)).TryGetProperty("error", out var e) && e.GetProperty("data").GetString() == ErrorData.StaffOnly,
            because: "remove-staff reached the running server");
    }

    [Test]
    public async Task MakeInvite_CreatesAnInviteThatRegisters()
    {
        var made = await ManageAsync("make-invite", "-1");
        Assert.That(made.Exit, Is.Zero, made.Err);
        var code = System.Text.RegularExpressions.Regex.Match(made.Out, "created invite ([A-Za-z0-9]{10}) \\(unlimited uses\\)").Groups[1].Value;
        Assert.That(code, Is.Not.Empty, made.Out);
        Assert.That(made.Out, Does.Contain($"/invite_register.html?code={code}"));
        await server.ResultAsync("users.createWithInvite", new { username = "inv" + Guid.NewGuid().ToString("N")[..8], password = "password one", invite = code });

        var single = await ManageAsync("make-invite");
        Assert.That(single.Out, Does.Contain("(1 use)"));
    }

    [Test]
    public async Task ResetPassword_PrintsACodeThatSetsTheStaffUsersPassword()
    {
        var user = await server.NewStaffAsync();
        var made = await ManageAsync("reset-password", user.Username);
        Assert.That(made.Exit, Is.Zero, made.Err);
        var code = System.Text.RegularExpressions.Regex.Match(made.Out, "password reset code for .*: ([A-Z2-9]{4}(-[A-Z2-9]{4}){3})").Groups[1].Value;
        Assert.That(code, Is.Not.Empty, made.Out);
        await server.ResultAsync("users.resetPassword", new { code, password = "recovered password" });
        await server.ResultAsync("users.auth", new { username = user.Username, password = "recovered password" });

        var unknown = await ManageAsync("reset-password", "nobody" + Guid.NewGuid().ToString("N")[..8]);
        Assert.That(unknown.Exit, Is.EqualTo(1));
        Assert.That(unknown.Err, Does.Contain("no user named"));
    }

    [Test]
    public async Task Errors_UnknownUser_BadMaxUses_UnknownCommand_ExitNonZero()
    {
        var unknown = await ManageAsync("make-staff", "nobody" + Guid.NewGuid().ToString("N")[..8]);
        Assert.That(unknown.Exit, Is.EqualTo(1));
        Assert.That(unknown.Err, Does.Contain("no user named"));

        var removeUnknown = await ManageAsync("remove-staff", "nobody" + Guid.NewGuid().ToString("N")[..8]);
        Assert.That(removeUnknown.Exit, Is.EqualTo(1));

        var badNumber = await ManageAsync("make-invite", "many");
        Assert.That(badNumber.Exit, Is.EqualTo(2));
        Assert.That(badNumber.Err, Does.Contain("max_uses must be a whole number"));

        var outOfRange = await ManageAsync("make-invite", "-5");
        Assert.That(outOfRange.Exit, Is.EqualTo(1));
        Assert.That(outOfRange.Err, Does.Contain(ErrorData.MaxUsesRange));

        var bogus = await ManageAsync("frobnicate");
        Assert.That(bogus.Exit, Is.EqualTo(2));
        Assert.That(bogus.Err, Does.Contain("usage: ./run.sh manage"));
    }
}
