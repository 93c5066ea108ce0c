using Rpc.Contracts.Discord;
using Rpc.Contracts.Roles;
using Rpc.Contracts.Users;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Docs;

/// <summary>The Discord and role contracts work as StreamJsonRpc typed clients: the DTOs' wire names round-trip.</summary>
public sealed class DiscordTypedClientTests
{
    [Test]
    public async Task TypedClient_LinksDiscord_ManagesRoles_AndReadsSeedObjects()
    {
        var server = SharedServer.Instance;
        var staff = await TestStaff.CreateStaffAsync(server);
        var (rpc, socket) = await TypedClientTests.ConnectAsync(server);
        using var _ = rpc;
        using var __ = socket;
        await rpc.Attach<IUsersApi>().IdentifyAsync(staff.Token);

        var discordId = TestStaff.NewDiscordId();
        var linked = await rpc.Attach<IDiscordSelfApi>().LinkDiscordAsync(discordId, locale: "fr", mfaEnabled: true, flags: 64);
        Assert.That(linked, Is.EqualTo(new DiscordAccount { DiscordId = long.Parse(discordId), DiscordLocale = "fr", DiscordMfaEnabled = true, DiscordFlags = 64 }));
        var discord = rpc.Attach<IDiscordApi>();
        Assert.That(await discord.InfosAsync(discordId), Is.EqualTo(linked));
        Assert.That(await discord.CheckAsync(discordId), Is.True);
        Assert.That((await rpc.Attach<IUsersApi>().SelfAsync()).Discord, Is.EqualTo(linked));

        var slug = "typed-" + Guid.NewGuid().ToString("N")[..8];
        var role = await rpc.Attach<IRolesAdminApi>().CreateAsync("Typed", slug, 12, "673855784005795844");
        var roles = await rpc.Attach<IDiscordRolesApi>().AddAsync(long.Parse(staff.Id), role.Id);
        Assert.That(roles, Is.EqualTo(new[]
        {
            new UserRole { Id = role.Id, DiscordRoleId = 673855784005795844, Name = "Typed", Slug = slug, Priority = 12, ExpiryDate = UserRole.Permanent },
        }));
    }
}
