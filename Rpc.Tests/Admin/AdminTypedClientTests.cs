using Rpc.Contracts.Admin;
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
}
