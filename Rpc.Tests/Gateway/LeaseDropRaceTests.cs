using Microsoft.Extensions.Options;
using Rpc.Contracts.Users;
using Rpc.Server.Data;
using Rpc.Server.Events;
using Rpc.Server.Services;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Gateway;

/// <summary>
/// The lease re-claim race (issue #17): server B reads the live leases, finds A's lapsed (A was stalled), and only
/// then drops A's users, while A has meanwhile woken, renewed its lease and sent its claims again, which B applied
/// before its drop. B's drop must not win: A's users would count OFFLINE on B although A holds them, until they
/// changed. Two servers in this process on one PostgreSQL database; B's late drop is made directly (the interleaving
/// the race produces), with A alive and its lease current.
/// </summary>
[NonParallelizable]
public sealed class LeaseDropRaceTests
{
    [Test]
    public async Task ADropDecidedOnAStaleLeaseRead_TheDroppedServerClaimsItsUsersAgain()
    {
        if (RpcTestServer.Postgres is null)
        {
            Assert.Ignore("several servers share a database on PostgreSQL only; run.sh runs this in its PostgreSQL run");
        }

        var settings = new Dictionary<string, string?> { ["Gateway:PresenceGracePeriod"] = "00:00:01" };
        await using var a = await RpcTestServer.StartAsync(settings);
        await using var b = await RpcTestServer.StartAsync(new Dictionary<string, string?>(settings)
        {
            ["Database:ConnectionString"] = a.Get<IOptions<DatabaseOptions>>().Value.ConnectionString,
        });
        var (alice, bob) = (await a.NewUserAsync("race"), await a.NewUserAsync("race"));
        await a.ShareGuildAsync(alice, bob);
        var aliceId = long.Parse(alice.Id);
        var presenceOnB = b.Get<PresenceService>();

        await using var aliceOnA = await GatewayClient.IdentifyAsync(a, alice.Token);
        await Eventually.WaitUntilAsync(() => presenceOnB.GetStatus(aliceId) == PresenceStatus.Online, TimeSpan.FromSeconds(30), "B learns that alice is online on A");

        // B's tick decided from a lease read made before A renewed: it drops A although A is alive and holds alice.
        b.Get<PresenceLeases>().Drop(a.Get<ClusterNode>().Id);
        Assert.That(presenceOnB.GetStatus(aliceId), Is.EqualTo(PresenceStatus.Offline), "the drop took effect on B");

        await Eventually.WaitUntilAsync(() => presenceOnB.GetStatus(aliceId) == PresenceStatus.Online, TimeSpan.FromSeconds(30), "A claimed alice again after B's drop");
        var seen = await b.ResultAsync("users.get", new { user_id = alice.Id }, bob.Token);
        Assert.That(seen.GetProperty("presence").GetString(), Is.EqualTo("ONLINE"), "users.get on B shows alice ONLINE");
    }
}
