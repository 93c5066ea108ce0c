using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Rpc.Contracts.Roles;
using Rpc.Server.Gateway;
using Rpc.Tests.Infrastructure;
using Rpc.Server.Events;

namespace Rpc.Tests.Services;

/// <summary>
/// The role catalogue (<c>admin.roles.*</c>) and user roles (<c>discord.roles.*</c>) on a server of
/// their own with a fake clock and a sink that captures the events published.
/// </summary>
public sealed class UserRolesTests
{
    private const int SweepSeconds = 60;
    private const string Permanent = "1000-01-01 00:00:00";

    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly CapturingEventSink sink = new();
    private RpcTestServer server = null!;
    private TestUser staff = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        server = await RpcTestServer.StartAsync(
            new Dictionary<string, string?> { ["Roles:SweepIntervalSeconds"] = SweepSeconds.ToString() },
            configureServices: s =>
            {
                s.AddSingleton<TimeProvider>(clock);
                s.AddSingleton<IEventSink>(sink);
            });
        staff = await TestStaff.CreateStaffAsync(server);
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await server.DisposeAsync();

    private static string Data(JsonElement error) => error.GetProperty("data").GetString()!;

    private string At(TimeSpan fromNow) => (clock.GetUtcNow() + fromNow).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss");

    private async Task<string> NewRoleAsync(int priority = 10, string? discordRoleId = null)
    {
        var slug = "r-" + Guid.NewGuid().ToString("N")[..10];
        var role = await server.ResultAsync("admin.roles.create", new Dictionary<string, object?>
        {
            ["name"] = "Role " + slug, ["slug"] = slug, ["priority"] = priority, ["discord_role_id"] = discordRoleId,
        }, staff.Token);
        return role.GetProperty("id").GetString()!;
    }

    private async Task<string> NewUserIdAsync() => (await server.NewUserAsync()).Id;

    // ---- the catalogue ----

    [Test]
    public async Task StaffEvents_OverTheGateway_CarryCatalogueAndUserRoleChanges_ToSubscribedStaffOnly()
    {
        await using var bot = await GatewayClient.IdentifyAsync(server, staff.Token);
        Assert.That((await bot.CallAsync("gateway.staffEvents", new { enabled = true })).GetProperty("result").GetBoolean(), Is.True);
        var holder = await server.NewUserAsync();
        await using var holderGateway = await GatewayClient.IdentifyAsync(server, holder.Token);

        var role = await NewRoleAsync(discordRoleId: "673855784005795841");
        var created = (await bot.NextEventAsync("ROLE_CREATE")).GetProperty("d");
        Assert.That(created.GetProperty("role").GetProperty("id").GetString(), Is.EqualTo(role));
        Assert.That(created.TryGetProperty("previous_role", out _), Is.False);

        await server.ResultAsync("admin.roles.update", new { role_id = role, discord_role_id = "673855784005795842" }, staff.Token);
        var updated = (await bot.NextEventAsync("ROLE_UPDATE")).GetProperty("d");
        Assert.That(updated.GetProperty("role").GetProperty("discord_role_id").GetString(), Is.EqualTo("673855784005795842"));
        Assert.That(updated.GetProperty("previous_role").GetProperty("discord_role_id").GetString(), Is.EqualTo("673855784005795841"));

        await server.ResultAsync("discord.roles.add", new { user_id = holder.Id, roleID = role }, staff.Token);
        Assert.That((await bot.NextEventAsync("USER_ROLE_ADD")).GetProperty("d").GetProperty("user_id").GetString(), Is.EqualTo(holder.Id));
        Assert.That((await holderGateway.NextEventAsync("USER_ROLE_ADD")).GetProperty("d").GetProperty("user_id").GetString(), Is.EqualTo(holder.Id));

        await server.ResultAsync("admin.roles.delete", new { role_id = role }, staff.Token);
        Assert.That((await bot.NextEventAsync("USER_ROLE_REMOVE")).GetProperty("d").GetProperty("reason").GetString(), Is.EqualTo("role_deleted"));
        Assert.That((await bot.NextEventAsync("ROLE_DELETE")).GetProperty("d").GetProperty("role").GetProperty("id").GetString(), Is.EqualTo(role));
        Assert.That(await holderGateway.HasEventAsync("ROLE_CREATE", TimeSpan.FromMilliseconds(300)), Is.False, "catalogue events are for staff");
    }

    [Test]
    public async Task RolesCreate_ThenListUpdateDelete_RoundTrips()
    {
        var slug = "vip-" + Guid.NewGuid().ToString("N")[..8];
        var created = await server.ResultAsync("admin.roles.create", new { name = "VIP", slug, priority = 5, discord_role_id = "673855784005795841" }, staff.Token);
        var id = created.GetProperty("id").GetString()!;
        Assert.That(created.GetProperty("name").GetString(), Is.EqualTo("VIP"));
        Assert.That(created.GetProperty("priority").GetInt32(), Is.EqualTo(5));
        Assert.That(created.GetProperty("discord_role_id").GetString(), Is.EqualTo("673855784005795841"));

        var listed = await server.ResultAsync("admin.roles.list", new { limit = 100, after = (long.Parse(id) - 1).ToString() }, staff.Token);
        Assert.That(listed[0].GetProperty("slug").GetString(), Is.EqualTo(slug));

        var updated = await server.ResultAsync("admin.roles.update", new { role_id = id, name = "Very Important", priority = 7, discord_role_id = "" }, staff.Token);
        Assert.That(updated.GetProperty("name").GetString(), Is.EqualTo("Very Important"));
        Assert.That(updated.GetProperty("slug").GetString(), Is.EqualTo(slug));
        Assert.That(updated.GetProperty("priority").GetInt32(), Is.EqualTo(7));
        Assert.That(updated.GetProperty("discord_role_id").ValueKind, Is.EqualTo(JsonValueKind.Null));

        var deleted = await server.ResultAsync("admin.roles.delete", new { role_id = id }, staff.Token);
        Assert.That(deleted.GetProperty("id").GetString(), Is.EqualTo(id));
        Assert.That(Data(await server.ErrorAsync("admin.roles.delete", new { role_id = id }, staff.Token)), Is.EqualTo("Role not found"));
        Assert.That(await TestStaff.QueryScalarAsync<long>(server, "SELECT COUNT(*) FROM audit_log WHERE target_type = 'role' AND target_id = @id", new { id }), Is.EqualTo(3));
    }

    [Test]
    public async Task RolesCreate_TakenSlug_IsRefusedByTheDatabase_EvenConcurrently()
    {
        var slug = "dup-" + Guid.NewGuid().ToString("N")[..8];
        var responses = await Task.WhenAll(Enumerable.Range(0, 5).Select(i =>
            server.CallAsync("admin.roles.create", new { name = "Dup", slug, priority = i }, staff.Token)));
        Assert.That(responses.Count(r => r.TryGetProperty("result", out _)), Is.EqualTo(1));
        Assert.That(responses.Where(r => r.TryGetProperty("error", out _)).Select(r => Data(r.GetProperty("error"))),
            Is.All.EqualTo($"Role with slug {slug} already exists"));

        var other = await NewRoleAsync();
        Assert.That(Data(await server.ErrorAsync("admin.roles.update", new { role_id = other, slug }, staff.Token)), Is.EqualTo($"Role with slug {slug} already exists"));
    }

    [TestCase("", "ok-slug", 1, null, "name must be between 1 and 64 characters")]
    [TestCase("   ", "ok-slug", 1, null, "name must be between 1 and 64 characters")]
    [TestCase("Name", "Upper", 1, null, "slug must be 1 to 32 lowercase letters, digits or '-'")]
    [TestCase("Name", "with space", 1, null, "slug must be 1 to 32 lowercase letters, digits or '-'")]
    [TestCase("Name", "", 1, null, "slug must be 1 to 32 lowercase letters, digits or '-'")]
    [TestCase("Name", "ok-slug", -1, null, "priority must be between 0 and 1000000")]
    [TestCase("Name", "ok-slug", 1000001, null, "priority must be between 0 and 1000000")]
    [TestCase("Name", "ok-slug", 1, "123", "discord_role_id must be a Discord snowflake: 17 to 19 digits without a leading zero")]
    public async Task RolesCreate_InvalidField_ReturnsClearError(string name, string slug, int priority, string? discordRoleId, string expected)
    {
        var error = await server.ErrorAsync("admin.roles.create", new { name, slug, priority, discord_role_id = discordRoleId }, staff.Token);
        Assert.That(Data(error), Is.EqualTo(expected));
    }

    [Test]
    public async Task RolesUpdate_NothingOrUnknownRole_IsAnError()
    {
        var role = await NewRoleAsync();
        Assert.That(Data(await server.ErrorAsync("admin.roles.update", new { role_id = role }, staff.Token)),
            Is.EqualTo("nothing to update: give name, slug, priority or discord_role_id"));
        Assert.That(Data(await server.ErrorAsync("admin.roles.update", new { role_id = "1", name = "x" }, staff.Token)), Is.EqualTo("Role not found"));
        Assert.That(Data(await server.ErrorAsync("admin.roles.update", new { role_id = role, slug = "BAD" }, staff.Token)),
            Is.EqualTo("slug must be 1 to 32 lowercase letters, digits or '-'"));
    }

    [Test]
    public async Task RolesDelete_TakesTheRoleFromHolders_AuditsAndPublishes()
    {
        var role = await NewRoleAsync();
        var keep = await NewRoleAsync();
        var user = await NewUserIdAsync();
        await server.ResultAsync("discord.roles.add", new { user_id = user, roleID = role }, staff.Token);
        await server.ResultAsync("discord.roles.add", new { user_id = user, roleID = keep }, staff.Token);
        await server.ResultAsync("admin.roles.delete", new { role_id = role }, staff.Token);

        var left = await server.ResultAsync("discord.roles.list", new { user_id = user }, staff.Token);
        Assert.That(left.EnumerateArray().Select(r => r.GetProperty("id").GetString()), Is.EqualTo(new[] { keep }));
        Assert.That(await TestStaff.QueryScalarAsync<long>(server, "SELECT COUNT(*) FROM user_roles WHERE role_id = @role", new { role = long.Parse(role) }), Is.Zero);
        Assert.That(await TestStaff.QueryScalarAsync<long>(server,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'user_role.remove' AND target_id = @user AND before_json LIKE @role",
            new { user, role = $"%\"id\":\"{role}\"%" }), Is.EqualTo(1));
        var published = await sink.WaitForAsync(e => e.Name == "USER_ROLE_REMOVE" && e.Payload is UserRoleEvent p
            && p.UserId == long.Parse(user) && p.Role.Id == long.Parse(role) && e.Audience is EventAudience.Users);
        Assert.That(((UserRoleEvent)published.Payload).Reason, Is.EqualTo("role_deleted"));
    }

    // ---- user roles ----

    [Test]
    public async Task Add_PermanentAndTemporary_ReturnsSeedObjectsByPriority()
    {
        var admin = await NewRoleAsync(99, "673855784005795840");
        var vip = await NewRoleAsync(5, "673855784005795841");
        var user = await NewUserIdAsync();
        await server.ResultAsync("discord.roles.add", new { user_id = user, roleID = admin }, staff.Token);
        var expiry = At(TimeSpan.FromDays(30));
        var roles = await server.ResultAsync("discord.roles.add", new { user_id = user, roleID = vip, expiryDate = expiry }, staff.Token);

        Assert.That(roles.GetArrayLength(), Is.EqualTo(2));
        var first = roles[0];
        Assert.That(first.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "id", "discordRoleID", "name", "slug", "priority", "expiryDate" }));
        Assert.That(first.GetProperty("id").GetString(), Is.EqualTo(admin));
        Assert.That(first.GetProperty("discordRoleID").GetString(), Is.EqualTo("673855784005795840"));
        Assert.That(first.GetProperty("priority").GetInt32(), Is.EqualTo(99));
        Assert.That(first.GetProperty("expiryDate").GetString(), Is.EqualTo(Permanent));
        Assert.That(roles[1].GetProperty("id").GetString(), Is.EqualTo(vip));
        Assert.That(roles[1].GetProperty("expiryDate").GetString(), Is.EqualTo(expiry));

        var listed = await server.ResultAsync("discord.roles.list", new { user_id = user }, staff.Token);
        Assert.That(listed.ToString(), Is.EqualTo(roles.ToString()));
        Assert.That(await TestStaff.QueryScalarAsync<long?>(server, "SELECT expires_at FROM user_roles WHERE user_id = @user AND role_id = @admin",
            new { user = long.Parse(user), admin = long.Parse(admin) }), Is.Null);
    }

    [Test]
    public async Task Add_PermanentSentinelAsInput_IsPermanent()
    {
        var role = await NewRoleAsync();
        var user = await NewUserIdAsync();
        var roles = await server.ResultAsync("discord.roles.add", new { user_id = user, roleID = role, expiryDate = Permanent }, staff.Token);
        Assert.That(roles[0].GetProperty("expiryDate").GetString(), Is.EqualTo(Permanent));
        clock.Advance(TimeSpan.FromDays(2));
        Assert.That((await server.ResultAsync("discord.roles.list", new { user_id = user }, staff.Token)).GetArrayLength(), Is.EqualTo(1));
    }

    [Test]
    public async Task Add_RoleAlreadyHeld_IsAClearError()
    {
        var role = await NewRoleAsync();
        var user = await NewUserIdAsync();
        await server.ResultAsync("discord.roles.add", new { user_id = user, roleID = role }, staff.Token);
        Assert.That(Data(await server.ErrorAsync("discord.roles.add", new { user_id = user, roleID = role, expiryDate = At(TimeSpan.FromDays(1)) }, staff.Token)),
            Is.EqualTo("User already has this role"));
    }

    [Test]
    public async Task AddUpdateRemove_UnknownUser_ReturnsSeedUserNotFound()
    {
        var role = await NewRoleAsync();
        foreach (var (method, parameters) in new (string, object)[]
        {
            ("discord.roles.list", new { user_id = "1" }),
            ("discord.roles.add", new { user_id = "1", roleID = role }),
            ("discord.roles.update", new { user_id = "1", role, expiryDate = At(TimeSpan.FromDays(1)) }),
            ("discord.roles.remove", new { user_id = "1", role }),
        })
        {
            var error = await server.ErrorAsync(method, parameters, staff.Token);
            Assert.That(error.GetProperty("code").GetInt32(), Is.EqualTo(-32603), method);
            Assert.That(Data(error), Is.EqualTo("User not found!"), method);
        }
    }

    [Test]
    public async Task AddUpdateRemove_UnknownRole_ReturnsRoleNotFound()
    {
        var role = await NewRoleAsync();
        var user = await NewUserIdAsync();
        await server.ResultAsync("discord.roles.add", new { user_id = user, roleID = role }, staff.Token);
        Assert.That(Data(await server.ErrorAsync("discord.roles.add", new { user_id = user, roleID = "1" }, staff.Token)), Is.EqualTo("Role not found"));
        Assert.That(Data(await server.ErrorAsync("discord.roles.update", new { user_id = user, role = "1", expiryDate = At(TimeSpan.FromDays(1)) }, staff.Token)), Is.EqualTo("Role not found"));
        Assert.That(Data(await server.ErrorAsync("discord.roles.update", new { user_id = user, role, roleID = "1" }, staff.Token)), Is.EqualTo("Role not found"));
        Assert.That(Data(await server.ErrorAsync("discord.roles.remove", new { user_id = user, role = "1" }, staff.Token)), Is.EqualTo("Role not found"));
    }

    [Test]
    public async Task UpdateRemove_RoleNotHeld_IsAClearError()
    {
        var role = await NewRoleAsync();
        var user = await NewUserIdAsync();
        Assert.That(Data(await server.ErrorAsync("discord.roles.update", new { user_id = user, role, expiryDate = At(TimeSpan.FromDays(1)) }, staff.Token)), Is.EqualTo("User does not have this role"));
        Assert.That(Data(await server.ErrorAsync("discord.roles.remove", new { user_id = user, role }, staff.Token)), Is.EqualTo("User does not have this role"));
    }

    [TestCase("2031-01-01T00:00:00")]
    [TestCase("2031-1-1 00:00:00")]
    [TestCase("2031-02-30 00:00:00")]
    [TestCase("2031-01-01 24:00:00")]
    [TestCase(" 2031-01-01 00:00:00")]
    [TestCase("2031-01-01 00:00:00Z")]
    [TestCase("2031-01-01 00:00")]
    [TestCase("tomorrow")]
    [TestCase("")]
    public async Task Add_MalformedExpiryDate_IsRefused(string expiryDate)
    {
        var role = await NewRoleAsync();
        var user = await NewUserIdAsync();
        Assert.That(Data(await server.ErrorAsync("discord.roles.add", new { user_id = user, roleID = role, expiryDate }, staff.Token)),
            Is.EqualTo("expiryDate must be a UTC date and time as YYYY-MM-DD HH:MM:SS"));
    }

    [Test]
    public async Task AddUpdate_ExpiryDateNotInTheFuture_IsRefused()
    {
        var role = await NewRoleAsync();
        var user = await NewUserIdAsync();
        Assert.That(Data(await server.ErrorAsync("discord.roles.add", new { user_id = user, roleID = role, expiryDate = At(TimeSpan.Zero) }, staff.Token)),
            Is.EqualTo("expiryDate must be in the future"));
        Assert.That(Data(await server.ErrorAsync("discord.roles.add", new { user_id = user, roleID = role, expiryDate = "2023-09-03 12:30:45" }, staff.Token)),
            Is.EqualTo("expiryDate must be in the future"));
        await server.ResultAsync("discord.roles.add", new { user_id = user, roleID = role, expiryDate = At(TimeSpan.FromSeconds(1)) }, staff.Token);
        Assert.That(Data(await server.ErrorAsync("discord.roles.update", new { user_id = user, role, expiryDate = At(-TimeSpan.FromSeconds(1)) }, staff.Token)),
            Is.EqualTo("expiryDate must be in the future"));
    }

    [Test]
    public async Task Update_ChangesExpiry_SwapsRole_AndPublishes()
    {
        var low = await NewRoleAsync(1);
        var high = await NewRoleAsync(50);
        var other = await NewRoleAsync(20);
        var user = await NewUserIdAsync();
        await server.ResultAsync("discord.roles.add", new { user_id = user, roleID = low }, staff.Token);
        await server.ResultAsync("discord.roles.add", new { user_id = user, roleID = other }, staff.Token);

        var expiry = At(TimeSpan.FromHours(5));
        var roles = await server.ResultAsync("discord.roles.update", new { user_id = user, role = low, expiryDate = expiry }, staff.Token);
        Assert.That(roles.EnumerateArray().Select(r => (r.GetProperty("id").GetString(), r.GetProperty("expiryDate").GetString())),
            Is.EqualTo(new[] { (other, Permanent), (low, expiry) }));

        roles = await server.ResultAsync("discord.roles.update", new { user_id = user, role = low, roleID = high }, staff.Token);
        Assert.That(roles.EnumerateArray().Select(r => (r.GetProperty("id").GetString(), r.GetProperty("expiryDate").GetString())),
            Is.EqualTo(new[] { (high, expiry), (other, Permanent) }), "the swap keeps the expiry when none is given");

        roles = await server.ResultAsync("discord.roles.update", new { user_id = user, role = high, expiryDate = Permanent }, staff.Token);
        Assert.That(roles[0].GetProperty("expiryDate").GetString(), Is.EqualTo(Permanent));

        Assert.That(Data(await server.ErrorAsync("discord.roles.update", new { user_id = user, role = high, roleID = other }, staff.Token)),
            Is.EqualTo("User already has this role"));
        Assert.That(Data(await server.ErrorAsync("discord.roles.update", new { user_id = user, role = high }, staff.Token)),
            Is.EqualTo("nothing to update: give roleID or expiryDate"));

        var swap = await sink.WaitForAsync(e => e.Name == "USER_ROLE_UPDATE" && e.Audience is EventAudience.Staff
            && e.Payload is UserRoleEvent p && p.UserId == long.Parse(user) && p.Role.Id == long.Parse(high) && p.PreviousRole?.Id == long.Parse(low));
        Assert.That(((UserRoleEvent)swap.Payload).Role.ExpiryDate, Is.EqualTo(expiry));
        Assert.That(await TestStaff.QueryScalarAsync<long>(server, "SELECT COUNT(*) FROM audit_log WHERE action = 'user_role.update' AND target_id = @user", new { user }), Is.EqualTo(3));
    }

    [Test]
    public async Task AddRemove_PublishToUserAndStaff_AndAreAudited()
    {
        var role = await NewRoleAsync(3, "673855784005795842");
        var user = await NewUserIdAsync();
        var userId = long.Parse(user);
        await server.ResultAsync("discord.roles.add", new { user_id = user, roleID = role }, staff.Token);
        var roles = await server.ResultAsync("discord.roles.remove", new { user_id = user, role }, staff.Token);
        Assert.That(roles.GetArrayLength(), Is.Zero);

        foreach (var name in new[] { "USER_ROLE_ADD", "USER_ROLE_REMOVE" })
        {
            var toUser = await sink.WaitForAsync(e => e.Name == name && e.Payload is UserRoleEvent p && p.UserId == userId
                && e.Audience is EventAudience.Users u && u.UserIds.SequenceEqual([userId]));
            await sink.WaitForAsync(e => e.Name == name && e.Payload is UserRoleEvent p && p.UserId == userId && e.Audience is EventAudience.Staff);
            var payload = (UserRoleEvent)toUser.Payload;
            Assert.That(payload.Role.DiscordRoleId, Is.EqualTo(673855784005795842L));
            Assert.That(payload.Reason, Is.EqualTo(name == "USER_ROLE_REMOVE" ? "removed" : null));
        }

        var json = JsonSerializer.Serialize<object>(sink.Events(e => e.Name == "USER_ROLE_REMOVE" && e.Payload is UserRoleEvent p && p.UserId == userId)[0].Payload, Rpc.Contracts.Protocol.RpcJson.Options);
        Assert.That(json, Does.Contain($"\"user_id\":\"{user}\"").And.Contain("\"reason\":\"removed\"").And.Contain("\"discordRoleID\":\"673855784005795842\""));
        Assert.That(await TestStaff.QueryScalarAsync<long>(server,
            "SELECT COUNT(*) FROM audit_log WHERE action IN ('user_role.add', 'user_role.remove') AND target_id = @user AND actor_id = @actor",
            new { user, actor = long.Parse(staff.Id) }), Is.EqualTo(2));
    }

    // ---- expiry ----

    [Test]
    public async Task Expiry_AtTheBoundary_ReturnedOneSecondBefore_GoneAtTheSecond()
    {
        var role = await NewRoleAsync();
        var keep = await NewRoleAsync();
        var user = await NewUserIdAsync();
        await server.ResultAsync("discord.roles.add", new { user_id = user, roleID = keep }, staff.Token);
        await server.ResultAsync("discord.roles.add", new { user_id = user, roleID = role, expiryDate = At(TimeSpan.FromSeconds(30)) }, staff.Token);

        clock.Advance(TimeSpan.FromSeconds(29));
        var before = await server.ResultAsync("discord.roles.list", new { user_id = user }, staff.Token);
        Assert.That(before.EnumerateArray().Select(r => r.GetProperty("id").GetString()), Does.Contain(role));

        clock.Advance(TimeSpan.FromSeconds(1));
        var at = await server.ResultAsync("discord.roles.list", new { user_id = user }, staff.Token);
        Assert.That(at.EnumerateArray().Select(r => r.GetProperty("id").GetString()), Is.EqualTo(new[] { keep }));
        Assert.That(Data(await server.ErrorAsync("discord.roles.remove", new { user_id = user, role }, staff.Token)), Is.EqualTo("User does not have this role"));
        Assert.That(Data(await server.ErrorAsync("discord.roles.update", new { user_id = user, role, expiryDate = Permanent }, staff.Token)), Is.EqualTo("User does not have this role"));

        // An expired hold the sweeper has not deleted yet does not block giving the role again.
        var again = await server.ResultAsync("discord.roles.add", new { user_id = user, roleID = role }, staff.Token);
        Assert.That(again.EnumerateArray().Select(r => (r.GetProperty("id").GetString(), r.GetProperty("expiryDate").GetString())), Does.Contain((role, Permanent)));
    }

    [Test]
    public async Task Sweeper_DeletesExpiredRoles_AuditsWithoutActor_AndPublishes()
    {
        var role = await NewRoleAsync(4, "673855784005795843");
        var permanent = await NewRoleAsync();
        var user = await NewUserIdAsync();
        var userId = long.Parse(user);
        var expiry = At(TimeSpan.FromSeconds(10));
        await server.ResultAsync("discord.roles.add", new { user_id = user, roleID = role, expiryDate = expiry }, staff.Token);
        await server.ResultAsync("discord.roles.add", new { user_id = user, roleID = permanent }, staff.Token);

        clock.Advance(TimeSpan.FromSeconds(SweepSeconds + 1));
        var toUser = await sink.WaitForAsync(e => e.Name == "USER_ROLE_REMOVE" && e.Payload is UserRoleEvent p && p.UserId == userId
            && e.Audience is EventAudience.Users u && u.UserIds.SequenceEqual([userId]));
        await sink.WaitForAsync(e => e.Name == "USER_ROLE_REMOVE" && e.Payload is UserRoleEvent p && p.UserId == userId && e.Audience is EventAudience.Staff);
        var payload = (UserRoleEvent)toUser.Payload;
        Assert.That(payload.Reason, Is.EqualTo("expired"));
        Assert.That(payload.Role.Id, Is.EqualTo(long.Parse(role)));
        Assert.That(payload.Role.ExpiryDate, Is.EqualTo(expiry));

        Assert.That(await TestStaff.QueryScalarAsync<long>(server, "SELECT COUNT(*) FROM user_roles WHERE user_id = @user", new { user = long.Parse(user) }), Is.EqualTo(1), "only the permanent role is left");
        Assert.That(await TestStaff.QueryScalarAsync<long>(server,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'user_role.expire' AND target_id = @user AND actor_id IS NULL", new { user }), Is.EqualTo(1));
        Assert.That(sink.Events(e => e.Name == "USER_ROLE_REMOVE" && e.Payload is UserRoleEvent p && p.UserId == userId), Has.Count.EqualTo(2), "one to the user, one to staff");
    }

    // ---- concurrency ----

    [Test]
    public async Task AddAndRemove_SameRoleConcurrently_KeepTheDatabaseConsistent()
    {
        var role = await NewRoleAsync();
        var user = await NewUserIdAsync();
        var responses = await Task.WhenAll(Enumerable.Range(0, 24).Select(i => i % 2 == 0
            ? server.CallAsync("discord.roles.add", new { user_id = user, roleID = role }, staff.Token)
            : server.CallAsync("discord.roles.remove", new { user_id = user, role }, staff.Token)));

        var errors = responses.Where(r => r.TryGetProperty("error", out _)).Select(r => Data(r.GetProperty("error"))).ToList();
        Assert.That(errors, Is.All.EqualTo("User already has this role").Or.EqualTo("User does not have this role"));
        var adds = responses.Where((r, i) => i % 2 == 0 && r.TryGetProperty("result", out _)).Count();
        var removes = responses.Where((r, i) => i % 2 == 1 && r.TryGetProperty("result", out _)).Count();
        var rows = await TestStaff.QueryScalarAsync<long>(server, "SELECT COUNT(*) FROM user_roles WHERE user_id = @user AND role_id = @role", new { user = long.Parse(user), role = long.Parse(role) });
        Assert.That(rows, Is.LessThanOrEqualTo(1));
        Assert.That(adds - removes, Is.EqualTo(rows), "every successful add and remove took effect exactly once");
        Assert.That((await server.ResultAsync("discord.roles.list", new { user_id = user }, staff.Token)).GetArrayLength(), Is.EqualTo(rows));
    }

    [Test]
    public async Task Add_SameRoleConcurrently_ExactlyOneSucceeds()
    {
        var role = await NewRoleAsync();
        var user = await NewUserIdAsync();
        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ =>
            server.CallAsync("discord.roles.add", new { user_id = user, roleID = role }, staff.Token)));
        Assert.That(responses.Count(r => r.TryGetProperty("result", out _)), Is.EqualTo(1));
        Assert.That(await TestStaff.QueryScalarAsync<long>(server, "SELECT COUNT(*) FROM user_roles WHERE user_id = @user", new { user = long.Parse(user) }), Is.EqualTo(1));
    }

    // ---- transports and access ----

    [Test]
    public async Task List_OverWebSocket_ReturnsTheSameRoles()
    {
        var role = await NewRoleAsync();
        var user = await NewUserIdAsync();
        await server.ResultAsync("discord.roles.add", new { user_id = user, roleID = role }, staff.Token);
        await using var ws = await WsClient.ConnectAsync(server.WebSocketUri);
        var reply = await ws.CallAsync($$"""{"jsonrpc":"2.0","method":"discord.roles.list","auth":"{{staff.Token}}","params":["{{user}}"],"id":7}""");
        Assert.That(reply.GetProperty("result")[0].GetProperty("id").GetString(), Is.EqualTo(role));
        Assert.That(reply.GetProperty("result")[0].GetProperty("expiryDate").GetString(), Is.EqualTo(Permanent));
    }

    private static readonly string[] StaffMethods =
    [
        "admin.roles.create", "admin.roles.list", "admin.roles.update", "admin.roles.delete",
        "discord.roles.list", "discord.roles.add", "discord.roles.update", "discord.roles.remove",
    ];

    [TestCaseSource(nameof(StaffMethods))]
    public async Task StaffMethod_CalledByNonStaff_IsRefused(string method)
    {
        var role = await NewRoleAsync();
        var user = await server.NewUserAsync();
        var parameters = new Dictionary<string, object?>
        {
            ["admin.roles.create"] = new { name = "x", slug = "x", priority = 1 },
            ["admin.roles.list"] = new { },
            ["admin.roles.update"] = new { role_id = role, name = "y" },
            ["admin.roles.delete"] = new { role_id = role },
            ["discord.roles.list"] = new { user_id = user.Id },
            ["discord.roles.add"] = new { user_id = user.Id, roleID = role },
            ["discord.roles.update"] = new { user_id = user.Id, role, expiryDate = Permanent },
            ["discord.roles.remove"] = new { user_id = user.Id, role },
        }[method];
        Assert.That(Data(await server.ErrorAsync(method, parameters, user.Token)), Is.EqualTo("only staff may call this method"));
        Assert.That(Data(await server.ErrorAsync(method, parameters)), Does.StartWith("authentication required"));
        Assert.That(await TestStaff.QueryScalarAsync<long>(server, "SELECT COUNT(*) FROM roles WHERE id = @role AND name LIKE 'Role %'", new { role = long.Parse(role) }), Is.EqualTo(1), "nothing changed");
    }
}
