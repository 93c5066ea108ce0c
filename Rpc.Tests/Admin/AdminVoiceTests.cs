using System.Text.Json;
using Rpc.Contracts.Protocol;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Admin;

/// <summary>admin.voice.*: regions and their servers.</summary>
public sealed class AdminVoiceTests
{
    private static RpcTestServer Server => SharedServer.Instance;

    private static string NewRegion() => "r-" + Guid.NewGuid().ToString("N")[..10];

    [Test]
    public async Task CreateRegion_ReturnsEveryRegion_WithFlagsAndDefaults()
    {
        var staff = await Server.NewStaffAsync();
        var plain = NewRegion();
        var vip = NewRegion();
        await Server.ResultAsync("admin.voice.regions.create", new { id = plain, name = "Brazil" }, staff.Token);
        var regions = await Server.ResultAsync("admin.voice.regions.create", new { id = vip, name = "US East", vip = true, custom = true }, staff.Token);
        var byId = regions.EnumerateArray().ToDictionary(r => r.GetProperty("id").GetString()!);
        Assert.That(byId[plain].GetProperty("name").GetString(), Is.EqualTo("Brazil"));
        Assert.That(byId[plain].GetProperty("vip").GetBoolean(), Is.False);
        Assert.That(byId[plain].GetProperty("deprecated").GetBoolean(), Is.False);
        Assert.That(byId[plain].GetProperty("custom").GetBoolean(), Is.False);
        Assert.That(byId[vip].GetProperty("vip").GetBoolean(), Is.True);
        Assert.That(byId[vip].GetProperty("custom").GetBoolean(), Is.True);
        Assert.That(regions.EnumerateArray().Select(r => r.GetProperty("id").GetString()), Is.Ordered.Using((IComparer<string?>)StringComparer.Ordinal));
    }

    [Test]
    public async Task CreateRegion_Duplicate_BadId_BadName_AreRefused()
    {
        var staff = await Server.NewStaffAsync();
        var id = NewRegion();
        await Server.ResultAsync("admin.voice.regions.create", new { id, name = "Somewhere" }, staff.Token);
        var duplicate = await Server.ErrorAsync("admin.voice.regions.create", new { id, name = "Again" }, staff.Token);
        Assert.That(duplicate.GetProperty("data").GetString(), Is.EqualTo($"voice region {id} already exists"));
        foreach (var badId in new[] { "", "US-East", "eu west", "-eu", new string('a', 33) })
        {
            var error = await Server.ErrorAsync("admin.voice.regions.create", new { id = badId, name = "x" }, staff.Token);
            Assert.That(error.GetProperty("data").GetString(), Is.EqualTo(ErrorData.VoiceRegionIdFormat), badId);
        }

        foreach (var badName in new[] { "", "   ", new string('n', 101) })
        {
            var error = await Server.ErrorAsync("admin.voice.regions.create", new { id = NewRegion(), name = badName }, staff.Token);
            Assert.That(error.GetProperty("data").GetString(), Is.EqualTo(ErrorData.VoiceRegionNameLength));
        }
    }

    [Test]
    public async Task Servers_AreListedPerRegion_UnknownRegionIsEmpty_DuplicatesAndUnknownRegionRefused()
    {
        var staff = await Server.NewStaffAsync();
        var region = NewRegion();
        var other = NewRegion();
        await Server.ResultAsync("admin.voice.regions.create", new { id = region, name = "One" }, staff.Token);
        await Server.ResultAsync("admin.voice.regions.create", new { id = other, name = "Two" }, staff.Token);
        var host = $"voice-{Guid.NewGuid():N}".Substring(0, 20) + ".example.org";
        var created = await Server.ResultAsync("admin.voice.servers.create", new { region, hostname = host.ToUpperInvariant() }, staff.Token);
        Assert.That(created.GetProperty("hostname").GetString(), Is.EqualTo(host));
        Assert.That(created.GetProperty("last_health").GetDouble(), Is.EqualTo(0.5));
        await Server.ResultAsync("admin.voice.servers.create", new { region, hostname = "b" + host }, staff.Token);

        var servers = await Server.ResultAsync("admin.voice.regions.get", new { region }, staff.Token);
        Assert.That(servers.EnumerateArray().Select(s => s.GetProperty("hostname").GetString()), Is.EqualTo(new[] { "b" + host, host }));
        Assert.That((await Server.ResultAsync("admin.voice.regions.get", new { region = other }, staff.Token)).GetArrayLength(), Is.Zero);
        Assert.That((await Server.ResultAsync("admin.voice.regions.get", new { region = "no-such-region" }, staff.Token)).GetArrayLength(), Is.Zero);

        var duplicate = await Server.ErrorAsync("admin.voice.servers.create", new { region = other, hostname = host }, staff.Token);
        Assert.That(duplicate.GetProperty("data").GetString(), Is.EqualTo($"voice server {host} already exists"));
        var unknown = await Server.ErrorAsync("admin.voice.servers.create", new { region = "no-such-region", hostname = "x" + host }, staff.Token);
        Assert.That(unknown.GetProperty("data").GetString(), Is.EqualTo("voice region no-such-region does not exist"));
        foreach (var bad in new[] { "", "has space.org", "-lead.org", "a..b", "under_score.org", new string('a', 64) + ".org" })
        {
            var error = await Server.ErrorAsync("admin.voice.servers.create", new { region, hostname = bad }, staff.Token);
            Assert.That(error.GetProperty("data").GetString(), Is.EqualTo(ErrorData.HostnameInvalid), bad);
        }
    }

    [Test]
    public async Task Deprecate_MarksRegion_IsIdempotent_UnknownRegionRefused()
    {
        var staff = await Server.NewStaffAsync();
        var region = NewRegion();
        await Server.ResultAsync("admin.voice.regions.create", new { id = region, name = "Old" }, staff.Token);
        var deprecated = await Server.ResultAsync("admin.voice.regions.deprecate", new { region }, staff.Token);
        Assert.That(deprecated.GetProperty("deprecated").GetBoolean(), Is.True);
        Assert.That((await Server.ResultAsync("admin.voice.regions.deprecate", new { region }, staff.Token)).GetProperty("deprecated").GetBoolean(), Is.True);
        var all = await Server.ResultAsync("admin.voice.regions.create", new { id = NewRegion(), name = "New" }, staff.Token);
        Assert.That(all.EnumerateArray().Single(r => r.GetProperty("id").GetString() == region).GetProperty("deprecated").GetBoolean(), Is.True);
        var unknown = await Server.ErrorAsync("admin.voice.regions.deprecate", new { region = "no-such-region" }, staff.Token);
        Assert.That(unknown.GetProperty("data").GetString(), Is.EqualTo("voice region no-such-region does not exist"));
    }
}

/// <summary>admin.audit.list on a server of its own, so the log holds only this test's records.</summary>
public sealed class AdminAuditTests
{
    [Test]
    public async Task AuditList_NewestFirst_PagesWithBefore_RecordsActorTargetAndStates()
    {
        await using var server = await RpcTestServer.StartAsync();
        var staff = await server.NewStaffAsync();
        var regions = new[] { "a-one", "a-two", "a-three" };
        foreach (var id in regions)
        {
            await server.ResultAsync("admin.voice.regions.create", new { id, name = id }, staff.Token);
        }

        var first = await server.ResultAsync("admin.audit.list", new { limit = 2 }, staff.Token);
        Assert.That(first.EnumerateArray().Select(e => e.GetProperty("target_id").GetString()), Is.EqualTo(new[] { "a-three", "a-two" }));
        var cursor = first[1].GetProperty("id").GetString();
        var second = await server.ResultAsync("admin.audit.list", new { limit = 2, before = cursor }, staff.Token);
        Assert.That(second[0].GetProperty("target_id").GetString(), Is.EqualTo("a-one"));

        // The staff grant made through the roster (the command line's path) is there too, with no actor.
        Assert.That(second[1].GetProperty("action").GetString(), Is.EqualTo("user.staff.grant"));
        Assert.That(second[1].GetProperty("actor_id").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(second.GetArrayLength(), Is.EqualTo(2));

        var entry = first[0];
        Assert.That(entry.GetProperty("actor_id").GetString(), Is.EqualTo(staff.Id));
        Assert.That(entry.GetProperty("action").GetString(), Is.EqualTo("voice_region.create"));
        Assert.That(entry.GetProperty("target_type").GetString(), Is.EqualTo("voice_region"));
        Assert.That(entry.GetProperty("before").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(entry.GetProperty("after").GetProperty("name").GetString(), Is.EqualTo("a-three"));
        Assert.That(entry.GetProperty("created_at").GetString(), Does.EndWith("Z"));

        var badLimit = await server.ErrorAsync("admin.audit.list", new { limit = 101 }, staff.Token);
        Assert.That(badLimit.GetProperty("data").GetString(), Is.EqualTo(ErrorData.LimitRange));
    }

    [Test]
    public async Task FailedChange_WritesNoAuditRecord()
    {
        await using var server = await RpcTestServer.StartAsync();
        var staff = await server.NewStaffAsync();
        await server.ErrorAsync("admin.voice.servers.create", new { region = "nowhere", hostname = "x.example.org" }, staff.Token);
        await server.ErrorAsync("admin.invites.delete", new { code = "missing" }, staff.Token);
        var entries = await server.ResultAsync("admin.audit.list", new { }, staff.Token);
        Assert.That(entries.EnumerateArray().Select(e => e.GetProperty("action").GetString()), Is.EqualTo(new[] { "user.staff.grant" }));
    }
}
