using System.Text.Json;
using Rpc.Contracts.Protocol;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Admin;

/// <summary>admin.invites.* and registration with invites, on an invite-only server.</summary>
public sealed class AdminInvitesTests
{
    private RpcTestServer server = null!;
    private TestUser staff = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        server = await RpcTestServer.StartAsync(new Dictionary<string, string?> { ["Registration:Mode"] = "invite" });
        // Invite-only: the first staff account comes in through an invite, then the command line's roster.
        var bootstrap = await server.Get<Rpc.Server.Services.AdminInvitesService>().CreateAsync(null, 1, CancellationToken.None);
        var name = "boss" + Guid.NewGuid().ToString("N")[..8];
        await server.ResultAsync("users.createWithInvite", new { username = name, password = "password one", invite = bootstrap.Code });
        await server.Get<Rpc.Server.Services.StaffRoster>().SetStaffAsync(name, true, CancellationToken.None);
        var auth = await server.ResultAsync("users.auth", new { username = name, password = "password one" });
        staff = new TestUser(auth.GetProperty("user_id").GetString()!, name, "password one", auth.GetProperty("token").GetString()!);
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await server.DisposeAsync();

    private static string NewName() => "i" + Guid.NewGuid().ToString("N")[..12];

    private async Task<string> NewInviteAsync(int maxUses) =>
        (await server.ResultAsync("admin.invites.create", new { max_uses = maxUses }, staff.Token)).GetProperty("code").GetString()!;

    private async Task<JsonElement> FindInviteAsync(string code)
    {
        var all = await server.ResultAsync("admin.invites.list", new { limit = 100 }, staff.Token);
        return all.EnumerateArray().Single(i => i.GetProperty("code").GetString() == code);
    }

    [Test]
    public async Task Create_ReturnsInviteObject_WithIsoUtcTime_AndListShowsIt()
    {
        var before = DateTime.UtcNow.AddSeconds(-5);
        var invite = await server.ResultAsync("admin.invites.create", new { max_uses = 3 }, staff.Token);
        Assert.That(invite.GetProperty("code").GetString(), Does.Match("^[A-Za-z0-9]{10}$"));
        Assert.That(invite.GetProperty("max_uses").GetInt32(), Is.EqualTo(3));
        Assert.That(invite.GetProperty("uses").GetInt32(), Is.Zero);
        var createdAt = invite.GetProperty("created_at").GetString()!;
        Assert.That(createdAt, Does.Match(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$"));
        Assert.That(DateTime.Parse(createdAt, null, System.Globalization.DateTimeStyles.RoundtripKind), Is.GreaterThan(before));
        var listed = await FindInviteAsync(invite.GetProperty("code").GetString()!);
        Assert.That(listed.GetProperty("created_at").GetString(), Is.EqualTo(createdAt));
    }

    [Test]
    public async Task List_PagesWithAfterCode_InCreationOrder()
    {
        var codes = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            codes.Add(await NewInviteAsync(1));
        }

        var page = await server.ResultAsync("admin.invites.list", new { limit = 2, after = codes[0] }, staff.Token);
        Assert.That(page.EnumerateArray().Select(i => i.GetProperty("code").GetString()), Is.EqualTo(codes.Skip(1)));
        var unknown = await server.ErrorAsync("admin.invites.list", new { after = "nope" }, staff.Token);
        Assert.That(unknown.GetProperty("data").GetString(), Is.EqualTo("invite nope does not exist"));
        var badLimit = await server.ErrorAsync("admin.invites.list", new { limit = 0 }, staff.Token);
        Assert.That(badLimit.GetProperty("data").GetString(), Is.EqualTo(ErrorData.LimitRange));
    }

    [Test]
    public async Task Create_MaxUsesBelowMinusOne_IsRefused()
    {
        var error = await server.ErrorAsync("admin.invites.create", new { max_uses = -2 }, staff.Token);
        Assert.That(error.GetProperty("data").GetString(), Is.EqualTo(ErrorData.MaxUsesRange));
    }

    [Test]
    public async Task Delete_RemovesInvite_ThenItCannotRegister_UnknownCodeIsNotFound()
    {
        var code = await NewInviteAsync(-1);
        Assert.That((await server.ResultAsync("admin.invites.delete", new { code }, staff.Token)).GetBoolean(), Is.True);
        var gone = await server.ErrorAsync("users.createWithInvite", new { username = NewName(), password = "password one", invite = code });
        Assert.That(gone.GetProperty("data").GetString(), Is.EqualTo($"invite {code} does not exist"));
        var again = await server.ErrorAsync("admin.invites.delete", new { code }, staff.Token);
        Assert.That(again.GetProperty("data").GetString(), Is.EqualTo($"invite {code} does not exist"));

        var entries = await server.ResultAsync("admin.audit.list", new { limit = 100 }, staff.Token);
        var audit = entries.EnumerateArray().First(e => e.GetProperty("action").GetString() == "invite.delete" && e.GetProperty("target_id").GetString() == code);
        Assert.That(audit.GetProperty("before").GetProperty("code").GetString(), Is.EqualTo(code));
        Assert.That(audit.GetProperty("after").ValueKind, Is.EqualTo(JsonValueKind.Null));
    }

    [Test]
    public async Task InviteOnly_UsersCreateWithoutInvite_IsRefused_WithInviteWorksAndCounts()
    {
        var refused = await server.ErrorAsync("users.create", new { username = NewName(), password = "password one" });
        Assert.That(refused.GetProperty("data").GetString(), Is.EqualTo(ErrorData.InviteRequired));

        var code = await NewInviteAsync(2);
        await server.ResultAsync("users.create", new { username = NewName(), password = "password one", invite = code });
        await server.ResultAsync("users.createWithInvite", new { username = NewName(), password = "password one", invite = code });
        Assert.That((await FindInviteAsync(code)).GetProperty("uses").GetInt32(), Is.EqualTo(2));
        var usedUp = await server.ErrorAsync("users.createWithInvite", new { username = NewName(), password = "password one", invite = code });
        Assert.That(usedUp.GetProperty("data").GetString(), Is.EqualTo($"invite {code} has no uses left"));
    }

    [Test]
    public async Task DisabledInvite_RegistersNobody_UnlimitedInvite_KeepsCounting()
    {
        var disabled = await NewInviteAsync(0);
        var error = await server.ErrorAsync("users.createWithInvite", new { username = NewName(), password = "password one", invite = disabled });
        Assert.That(error.GetProperty("data").GetString(), Is.EqualTo($"invite {disabled} has no uses left"));

        var unlimited = await NewInviteAsync(-1);
        for (var i = 0; i < 3; i++)
        {
            await server.ResultAsync("users.createWithInvite", new { username = NewName(), password = "password one", invite = unlimited });
        }

        Assert.That((await FindInviteAsync(unlimited)).GetProperty("uses").GetInt32(), Is.EqualTo(3));
    }

    [Test]
    public async Task TakenName_DoesNotSpendAUse()
    {
        var code = await NewInviteAsync(1);
        var error = await server.ErrorAsync("users.createWithInvite", new { username = staff.Username, password = "password one", invite = code });
        Assert.That(error.GetProperty("data").GetString(), Is.EqualTo($"User with username {staff.Username} already exists"));
        Assert.That((await FindInviteAsync(code)).GetProperty("uses").GetInt32(), Is.Zero);
        await server.ResultAsync("users.createWithInvite", new { username = NewName(), password = "password one", invite = code });
    }

    [Test]
    public async Task FiftyConcurrentRegistrations_OnInviteOfFive_CreateExactlyFive()
    {
        var code = await NewInviteAsync(5);
        var names = Enumerable.Range(0, 50).Select(_ => NewName()).ToArray();
        var replies = await Task.WhenAll(names.Select(name =>
            server.CallAsync("users.createWithInvite", new { username = name, password = "password one", invite = code })));
        var created = replies.Count(r => r.TryGetProperty("result", out _));
        Assert.That(created, Is.EqualTo(5));
        Assert.That(replies.Where(r => r.TryGetProperty("error", out _)).Select(r => r.GetProperty("error").GetProperty("data").GetString()).Distinct(),
            Is.EqualTo(new[] { $"invite {code} has no uses left" }));
        Assert.That((await FindInviteAsync(code)).GetProperty("uses").GetInt32(), Is.EqualTo(5));
        var existing = 0;
        foreach (var name in names)
        {
            existing += (await server.ResultAsync("users.check", new { username = name })).GetBoolean() ? 1 : 0;
        }

        Assert.That(existing, Is.EqualTo(5));
    }
}

/// <summary>Registration on an open server (the shared one): users.create needs no invite, invites still count.</summary>
public sealed class OpenRegistrationTests
{
    private static RpcTestServer Server => SharedServer.Instance;

    [Test]
    public async Task OpenMode_CreateWithoutInvite_Works_CreateWithInvite_SpendsAUse()
    {
        await Server.ResultAsync("users.create", new { username = "o" + Guid.NewGuid().ToString("N")[..12], password = "password one" });
        var invite = await Server.Get<Rpc.Server.Services.AdminInvitesService>().CreateAsync(null, 1, CancellationToken.None);
        await Server.ResultAsync("users.createWithInvite", new { username = "o" + Guid.NewGuid().ToString("N")[..12], password = "password one", invite = invite.Code });
        var error = await Server.ErrorAsync("users.create", new { username = "o" + Guid.NewGuid().ToString("N")[..12], password = "password one", invite = invite.Code });
        Assert.That(error.GetProperty("data").GetString(), Is.EqualTo($"invite {invite.Code} has no uses left"));
    }
}
