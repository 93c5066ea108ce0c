using Rpc.Server.Services;

namespace Rpc.Tests.Infrastructure;

/// <summary>Staff users for admin tests, made the way the <c>manage make-staff</c> command makes them.</summary>
public static class StaffUsers
{
    public static async Task<TestUser> NewStaffAsync(this RpcTestServer server)
    {
        var user = await server.NewUserAsync("staff");
        var (change, _) = await server.Get<StaffRoster>().SetStaffAsync(user.Username, true, CancellationToken.None);
        Assert.That(change, Is.EqualTo(StaffChange.Changed));
        return user;
    }
}
