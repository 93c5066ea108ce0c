using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Rpc.Server.Data;
using Rpc.Server.Events;
using Rpc.Server.Security;
using Rpc.Server.Services;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Security;

/// <summary>
/// Resolved sessions and the caller's own object are cached (issue #18): every change that ends a
/// session or changes its user shows on the very next call on the same server, and within the bus
/// latency on another one; a read racing a change is never kept; idle expiry still holds.
/// </summary>
public sealed class SessionCacheTests
{
    private const string Invalid = "invalid or revoked token";

    private static string Data(JsonElement error) => error.GetProperty("data").GetString()!;

    private static async Task<string> LoginAsync(RpcTestServer server, TestUser user) =>
        (await server.ResultAsync("users.auth", new { username = user.Username, password = user.Password })).GetProperty("token").GetString()!;

    [Test]
    public async Task RevokedToken_FailsOnTheVeryNextCall()
    {
        var server = SharedServer.Instance;
        var user = await server.NewUserAsync();
        var other = await LoginAsync(server, user);
        await server.ResultAsync("users.self", token: other);
        await server.ResultAsync("users.self", token: other);

        var sessions = await server.ResultAsync("users.sessions", token: user.Token);
        var otherId = sessions.EnumerateArray().Single(s => !s.GetProperty("current").GetBoolean()).GetProperty("id").GetString();
        await server.ResultAsync("users.sessions.revoke", new { session_id = otherId }, user.Token);
        Assert.That(Data(await server.ErrorAsync("users.self", token: other)), Is.EqualTo(Invalid));

        await server.ResultAsync("users.logout", token: user.Token);
        Assert.That(Data(await server.ErrorAsync("users.self", token: user.Token)), Is.EqualTo(Invalid));
    }

    [Test]
    public async Task PasswordChange_EndsTheOtherCachedSessions_AtOnce()
    {
        var server = SharedServer.Instance;
        var user = await server.NewUserAsync();
        var other = await LoginAsync(server, user);
        await server.ResultAsync("users.self", token: other);
        await server.ResultAsync("users.changePassword", new { old_password = user.Password, new_password = "new horse battery" }, user.Token);
        Assert.That(Data(await server.ErrorAsync("users.self", token: other)), Is.EqualTo(Invalid));
        await server.ResultAsync("users.self", token: user.Token);
    }

    [Test]
    public async Task DisableAndStaffChange_ShowOnTheVeryNextCall()
    {
        var server = SharedServer.Instance;
        var staff = await server.NewStaffAsync();
        var demoted = await server.NewStaffAsync();
        await server.ResultAsync("admin.users.search", new { username = "x" }, demoted.Token);

        await server.Get<StaffRoster>().SetStaffAsync(demoted.Username, false, CancellationToken.None);
        Assert.That(Data(await server.ErrorAsync("admin.users.search", new { username = "x" }, demoted.Token)), Is.EqualTo(Rpc.Contracts.Protocol.ErrorData.StaffOnly));
        var self = await server.ResultAsync("users.self", token: demoted.Token);
        Assert.That(self.GetProperty("flags").EnumerateArray().Select(f => f.GetInt32()), Does.Not.Contain(0), "users.self shows the flag change");

        var user = await server.NewUserAsync();
        await server.ResultAsync("users.self", token: user.Token);
        await server.ResultAsync("admin.users.disable", new { user_id = user.Id, reason = "spam" }, staff.Token);
        Assert.That(Data(await server.ErrorAsync("users.self", token: user.Token)), Is.EqualTo(Invalid));
    }

    [Test]
    public async Task Self_AfterRenameAndDiscordLink_ShowsTheChangeAtOnce()
    {
        var server = SharedServer.Instance;
        var user = await server.NewUserAsync();
        var staff = await server.NewStaffAsync();
        Assert.That((await server.ResultAsync("users.self", token: user.Token)).TryGetProperty("discord", out _), Is.False);

        var renamed = "r" + Guid.NewGuid().ToString("N")[..12];
        await server.ResultAsync("users.update", new { username = renamed }, user.Token);
        Assert.That((await server.ResultAsync("users.self", token: user.Token)).GetProperty("username").GetString(), Is.EqualTo(renamed));

        var discordId = TestStaff.NewDiscordId();
        await server.ResultAsync("discord.link", new { user_id = user.Id, discord_id = discordId }, staff.Token);
        Assert.That((await server.ResultAsync("users.self", token: user.Token)).GetProperty("discord").GetProperty("discord_id").GetString(), Is.EqualTo(discordId));
    }

    [Test]
    public async Task IdleExpiry_StillHolds_AndUseIsWrittenAtMostOnceAMinute()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await RpcTestServer.StartAsync(
            new Dictionary<string, string?> { ["Sessions:IdleDays"] = "30", ["Sessions:CacheSeconds"] = "3600" },
            configureServices: s => s.AddSingleton<TimeProvider>(clock));
        var user = await server.NewUserAsync();
        async Task<long> LastUsedAsync() => await TestStaff.QueryScalarAsync<long>(server, "SELECT last_used_at FROM sessions WHERE user_id = @id", new { id = long.Parse(user.Id, System.Globalization.CultureInfo.InvariantCulture) });

        await server.ResultAsync("users.self", token: user.Token);
        var written = await LastUsedAsync();
        clock.Advance(TimeSpan.FromSeconds(30));
        await server.ResultAsync("users.self", token: user.Token);
        Assert.That(await LastUsedAsync(), Is.EqualTo(written), "a use within the minute is not written");

        // Used every 20 days from the cache, the session lives past its idle limit: each use was written.
        for (var i = 0; i < 3; i++)
        {
            clock.Advance(TimeSpan.FromDays(20));
            await server.ResultAsync("users.self", token: user.Token);
            Assert.That(await LastUsedAsync(), Is.EqualTo(clock.GetUtcNow().ToUnixTimeMilliseconds()));
        }

        clock.Advance(TimeSpan.FromDays(30) + TimeSpan.FromSeconds(1));
        Assert.That(Data(await server.ErrorAsync("users.self", token: user.Token)), Is.EqualTo(Invalid), "idle past Sessions:IdleDays");
    }

    [Test]
    public void Add_ReadRacingARevocation_IsNeverServed()
    {
        var stamps = new UserChangeStamps();
        var cache = new SessionCache(stamps, TimeProvider.System, Options.Create(new SessionLimitsOptions()));
        var session = new ActiveSession { Id = 2, UserId = 1, TokenHash = "h", LastUsedAt = 0, CreatedAt = 0, NeverExpires = true };
        var cutoffs = new SessionCutoffs(0, 0);

        var stamp = cache.Stamp();
        // The revocation commits and is delivered while the read is under way.
        stamps.Deliver(CloseConnections.Revoked(1, 2));
        cache.Add("h", session, 0, stamp);
        Assert.That(cache.Find("h", cutoffs), Is.Null);

        cache.Add("h", session, 0, cache.Stamp());
        Assert.That(cache.Find("h", cutoffs)?.Caller.SessionId, Is.EqualTo(2));
        stamps.Deliver(new DispatchEvent(Rpc.Contracts.Gateway.GatewayEvents.UserUpdate, new { }, new EventAudience.UserAndObservers(1)));
        Assert.That(cache.Find("h", cutoffs), Is.Null, "a user change drops the cached session");
    }

    [Test]
    public void Stamps_PastTheirMarkCapacity_MakeEverythingStale()
    {
        var stamps = new UserChangeStamps();
        var stamp = stamps.Current;
        for (var user = 1; user <= UserChangeStamps.MaxMarks + 1; user++)
        {
            stamps.Invalidate(user);
        }

        Assert.That(stamps.IsCurrent(UserChangeStamps.MaxMarks + 5, stamp), Is.False, "the reset marks every user");
        Assert.That(stamps.IsCurrent(UserChangeStamps.MaxMarks + 5, stamps.Current), Is.True);
    }
}

/// <summary>Two servers on one PostgreSQL database: a change on one reaches the other's caches within the bus latency.</summary>
public sealed class CrossServerSessionCacheTests
{
    private RpcTestServer first = null!;
    private RpcTestServer second = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        if (RpcTestServer.Postgres is null)
        {
            Assert.Ignore("several servers share a database on PostgreSQL only; run.sh runs these in its PostgreSQL run");
        }

        first = await RpcTestServer.StartAsync();
        second = await RpcTestServer.StartAsync(directory: first.Directory);
        second.KeepFiles = true;
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (second is not null)
        {
            await second.DisposeAsync();
            await first.DisposeAsync();
        }
    }

    [Test]
    public async Task Logout_OnOneServer_FailsTheTokenOnTheOtherWithinTheBusLatency()
    {
        var user = await first.NewUserAsync();
        await first.ResultAsync("users.self", token: user.Token);
        await second.ResultAsync("users.logout", token: user.Token);
        Assert.That(Data(await second.ErrorAsync("users.self", token: user.Token)), Is.EqualTo("invalid or revoked token"));
        await Eventually.WaitUntilAsync(
            async () => (await first.CallAsync("users.self", token: user.Token)).TryGetProperty("error", out _),
            TimeSpan.FromSeconds(10), "the first server still served the revoked token");
    }

    [Test]
    public async Task Rename_OnOneServer_ShowsInTheOthersSelfWithinTheBusLatency()
    {
        var user = await first.NewUserAsync();
        await first.ResultAsync("users.self", token: user.Token);
        var renamed = "r" + Guid.NewGuid().ToString("N")[..12];
        await second.ResultAsync("users.update", new { username = renamed }, user.Token);
        await Eventually.WaitUntilAsync(
            async () => (await first.ResultAsync("users.self", token: user.Token)).GetProperty("username").GetString() == renamed,
            TimeSpan.FromSeconds(10), "the first server still served the old name");
    }

    private static string Data(JsonElement error) => error.GetProperty("data").GetString()!;
}
