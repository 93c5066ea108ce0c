using Rpc.Contracts.Admin;
using Rpc.Contracts.Guilds;
using Rpc.Contracts.Users;
using Rpc.Tests.Docs;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Admin;

/// <summary>The admin contracts work as StreamJsonRpc typed clients over a WebSocket authenticated as staff.</summary>
public sealed class AdminTypedClientTests
{
    [Test]
    public async Task TypedAdminClients_CreateInvite_SearchUpdateAndReadAudit()
    {
        var server = SharedServer.Instance;
        var staff = await server.NewStaffAsync();
        var target = await server.NewUserAsync("typed");
        var (rpc, socket) = await TypedClientTests.ConnectAsync(server);
        using var _ = rpc;
        using var __ = socket;
        await rpc.Attach<IUsersApi>().IdentifyAsync(staff.Token);

        var invites = rpc.Attach<IAdminInvitesApi>();
        var invite = await invites.CreateAsync(3);
        Assert.That(invite.MaxUses, Is.EqualTo(3));
        Assert.That(invite.CreatedAt.Kind, Is.EqualTo(DateTimeKind.Utc));
        Assert.That(await invites.DeleteAsync(invite.Code), Is.True);

        var users = rpc.Attach<IAdminUsersApi>();
        var found = await users.SearchAsync(username: target.Username);
        Assert.That(found.Select(u => u.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)), Is.EqualTo(new[] { target.Id }));
        var updated = await users.UpdateAsync(found[0].Id, [UserFlag.Bot]);
        Assert.That(updated.Flags, Is.EqualTo(new[] { UserFlag.Bot }));

        var audit = await rpc.Attach<IAdminAuditApi>().ListAsync(limit: 100);
        Assert.That(audit.Any(e => e.Action == "user.update" && e.ActorId == long.Parse(staff.Id) && e.After?.GetProperty("flags")[0].GetInt32() == 10), Is.True);
    }

    [Test]
    public async Task TypedAdminGuildsClient_GetsGuild_ChangesFeaturesAndAvailability()
    {
        var server = SharedServer.Instance;
        var staff = await server.NewStaffAsync();
        var owner = await server.NewUserAsync("typedguild");
        var created = await server.ResultAsync("guilds.create", new { name = "Typed guild" }, owner.Token);
        var guildId = long.Parse(created.GetProperty("id").GetString()!);
        var (rpc, socket) = await TypedClientTests.ConnectAsync(server);
        using var _ = rpc;
        using var __ = socket;
        await rpc.Attach<IUsersApi>().IdentifyAsync(staff.Token);

        var guilds = rpc.Attach<IAdminGuildsApi>();
        var features = await guilds.AddFeaturesAsync(guildId, [GuildFeatures.MoreEmoji, GuildFeatures.Verified]);
        Assert.That(features.Features, Is.EqualTo(new[] { GuildFeatures.MoreEmoji, GuildFeatures.Verified }));
        var updated = await guilds.UpdateAsync(guildId, unavailable: true);
        Assert.That(updated.Unavailable, Is.True);
        var guild = await guilds.GetAsync(guildId);
        Assert.That(guild.EmojiLimit, Is.EqualTo(200));
        Assert.That(guild.VoiceAvailable, Is.True);
        Assert.That(guild.OwnerId, Is.EqualTo(long.Parse(owner.Id)));
    }
}
