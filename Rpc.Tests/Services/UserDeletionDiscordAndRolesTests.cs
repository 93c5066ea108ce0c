using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Services;

/// <summary>Deleting a user removes its Discord link and its roles, each audited and the roles announced to staff.</summary>
public sealed class UserDeletionDiscordAndRolesTests
{
    [Test]
    public async Task Delete_RemovesDiscordLinkAndRoles_AuditsEach_AndSendsUserRoleRemove()
    {
        await using var server = await RpcTestServer.StartAsync();
        var staff = await server.NewStaffAsync();
        var user = await server.NewUserAsync();
        var discordId = TestStaff.NewDiscordId();
        await server.ResultAsync("discord.link", new { user_id = user.Id, discord_id = discordId }, staff.Token);
        var roles = new List<string>();
        foreach (var slug in new[] { "vip", "mod" })
        {
            var role = await server.ResultAsync("admin.roles.create", new { name = slug, slug, priority = 1 }, staff.Token);
            roles.Add(role.GetProperty("id").GetString()!);
            await server.ResultAsync("discord.roles.add", new { user_id = user.Id, roleID = roles[^1] }, staff.Token);
        }

        await using var bot = await GatewayClient.IdentifyAsync(server, staff.Token);
        await bot.CallAsync("gateway.staffEvents", new { enabled = true });
        await server.ResultAsync("admin.users.delete", new { user_id = user.Id }, staff.Token);

        var removed = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            var d = (await bot.NextEventAsync("USER_ROLE_REMOVE")).GetProperty("d");
            Assert.That(d.GetProperty("user_id").GetString(), Is.EqualTo(user.Id));
            removed.Add(d.GetProperty("role").GetProperty("id").GetString()!);
        }

        Assert.That(removed, Is.EquivalentTo(roles));
        Assert.That(await TestStaff.QueryScalarAsync<long>(server, "SELECT COUNT(*) FROM discord_accounts WHERE discord_id = @id", new { id = long.Parse(discordId, System.Globalization.CultureInfo.InvariantCulture) }), Is.EqualTo(0));
        Assert.That(await TestStaff.QueryScalarAsync<long>(server, "SELECT COUNT(*) FROM user_roles WHERE user_id = @id", new { id = long.Parse(user.Id, System.Globalization.CultureInfo.InvariantCulture) }), Is.EqualTo(0));
        Assert.That(await TestStaff.QueryScalarAsync<long>(server, "SELECT COUNT(*) FROM audit_log WHERE action = 'discord.unlink' AND target_id = @id", new { id = user.Id }), Is.EqualTo(1));
        Assert.That(await TestStaff.QueryScalarAsync<long>(server, "SELECT COUNT(*) FROM audit_log WHERE action = 'user_role.remove' AND target_id = @id", new { id = user.Id }), Is.EqualTo(2));

        // The Discord account can be linked to someone else now.
        var other = await server.NewUserAsync();
        await server.ResultAsync("discord.link", new { user_id = other.Id, discord_id = discordId }, staff.Token);
    }
}
