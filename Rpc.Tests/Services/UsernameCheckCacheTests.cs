using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Rpc.Server.Gateway;
using Rpc.Server.Services;
using Rpc.Tests.Infrastructure;
using Rpc.Server.Events;

namespace Rpc.Tests.Services;

public sealed class UsernameCheckCacheTests
{
    private static string NewName() => "cc" + Guid.NewGuid().ToString("N")[..12];

    private static UsernameCheckCache Cache(double seconds = 5, int entries = 100)
    {
        var bus = new LoopbackBus();
        var cache = new UsernameCheckCache(Options.Create(new AccountOptions { CheckCacheSeconds = seconds, CheckCacheEntries = entries }), TimeProvider.System, bus);
        bus.Sink = cache;
        return cache;
    }

    [Test]
    public async Task Check_AfterCreateRenameAndDelete_AnswersAtOnce()
    {
        var server = SharedServer.Instance;
        var first = NewName();
        var second = NewName();
        Assert.That((await server.ResultAsync("users.check", new { username = first })).GetBoolean(), Is.False);

        var user = await server.NewUserAsync();
        await server.ResultAsync("users.update", new { username = first }, user.Token);
        Assert.That((await server.ResultAsync("users.check", new { username = first })).GetBoolean(), Is.True, "taken by a rename");
        Assert.That((await server.ResultAsync("users.check", new { username = second })).GetBoolean(), Is.False);

        await server.ResultAsync("users.update", new { username = second }, user.Token);
        Assert.That((await server.ResultAsync("users.check", new { username = first })).GetBoolean(), Is.False, "freed by the rename");
        Assert.That((await server.ResultAsync("users.check", new { username = second })).GetBoolean(), Is.True);

        var staff = await server.NewStaffAsync();
        await server.ResultAsync("admin.users.delete", new { user_id = user.Id }, staff.Token);
        Assert.That((await server.ResultAsync("users.check", new { username = second })).GetBoolean(), Is.False, "freed by the deletion");

        var third = NewName();
        Assert.That((await server.ResultAsync("users.check", new { username = third })).GetBoolean(), Is.False);
        await server.ResultAsync("users.create", new { username = third, password = "password1" });
        Assert.That((await server.ResultAsync("users.check", new { username = third })).GetBoolean(), Is.True, "taken by a registration");
    }

    [Test]
    public async Task Check_NameTakenThroughAnotherServer_ShowsAfterTheCacheLifetime()
    {
        if (RpcTestServer.Postgres is not null)
        {
            Assert.Ignore("on PostgreSQL the bus tells the other server at once (CrossServerEventsTests); this is the fallback without it");
        }

        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var settings = new Dictionary<string, string?> { ["Accounts:CheckCacheSeconds"] = "5" };
        await using var server = await RpcTestServer.StartAsync(settings, configureServices: s => s.AddSingleton<TimeProvider>(clock));
        await using var other = await RpcTestServer.StartAsync(settings, directory: server.Directory);
        other.KeepFiles = true;
        var name = NewName();
        Assert.That((await server.ResultAsync("users.check", new { username = name })).GetBoolean(), Is.False);

        await other.ResultAsync("users.create", new { username = name, password = "password1" });
        Assert.That((await other.ResultAsync("users.check", new { username = name })).GetBoolean(), Is.True);
        Assert.That((await server.ResultAsync("users.check", new { username = name })).GetBoolean(), Is.False, "the first server's answer is still fresh");

        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.That((await server.ResultAsync("users.check", new { username = name })).GetBoolean(), Is.True);
        var error = await server.ErrorAsync("users.create", new { username = name, password = "password1" });
        Assert.That(error.GetProperty("data").GetString(), Is.EqualTo($"User with username {name} already exists"));
    }

    [Test]
    public async Task GetOrLoad_RepeatedKey_LoadsOnce()
    {
        var cache = Cache();
        var loads = 0;
        for (var i = 0; i < 3; i++)
        {
            Assert.That(await cache.GetOrLoadAsync("a", 0, (_, _) => { loads++; return Task.FromResult(true); }, CancellationToken.None), Is.True);
        }

        Assert.That(loads, Is.EqualTo(1));
    }

    [Test]
    public async Task GetOrLoad_InvalidatedWhileLoading_DoesNotKeepTheAnswer()
    {
        var cache = Cache();
        var loads = 0;
        Task<bool> LoadRacingAChange(int state, CancellationToken token)
        {
            loads++;
            // A username change commits while this read is under way: its answer may be the old one.
            cache.Invalidate();
            return Task.FromResult(false);
        }

        await cache.GetOrLoadAsync("a", 0, LoadRacingAChange, CancellationToken.None);
        Assert.That(await cache.GetOrLoadAsync("a", 0, (_, _) => { loads++; return Task.FromResult(true); }, CancellationToken.None), Is.True);
        Assert.That(loads, Is.EqualTo(2));
    }

    [Test]
    public async Task GetOrLoad_Disabled_AlwaysLoads()
    {
        var cache = Cache(seconds: 0);
        var loads = 0;
        await cache.GetOrLoadAsync("a", 0, (_, _) => { loads++; return Task.FromResult(true); }, CancellationToken.None);
        await cache.GetOrLoadAsync("a", 0, (_, _) => { loads++; return Task.FromResult(true); }, CancellationToken.None);
        Assert.That(loads, Is.EqualTo(2));
    }

    [Test]
    public async Task GetOrLoad_LongKey_IsAnsweredButNotKept()
    {
        var cache = Cache();
        var loads = 0;
        var key = new string('a', UsernameCheckCache.MaxKeyLength + 1);
        await cache.GetOrLoadAsync(key, 0, (_, _) => { loads++; return Task.FromResult(false); }, CancellationToken.None);
        await cache.GetOrLoadAsync(key, 0, (_, _) => { loads++; return Task.FromResult(false); }, CancellationToken.None);
        Assert.That(loads, Is.EqualTo(2));
    }

    [Test]
    public async Task GetOrLoad_PastCapacity_StartsOverInsteadOfGrowing()
    {
        var cache = Cache(entries: 2);
        var loads = 0;
        foreach (var key in new[] { "a", "b", "c", "a" })
        {
            await cache.GetOrLoadAsync(key, 0, (_, _) => { loads++; return Task.FromResult(true); }, CancellationToken.None);
        }

        Assert.That(loads, Is.EqualTo(4), "adding c cleared a and b");
    }

    /// <summary>A bus of one sink, delivering synchronously as the in-process bus does.</summary>
    private sealed class LoopbackBus : IEventBus
    {
        public IEventSink? Sink { get; set; }

        public void Publish(BusMessage message) => Sink?.Deliver(message);
    }
}
