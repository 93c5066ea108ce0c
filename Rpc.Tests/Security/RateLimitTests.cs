using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Rpc.Server.Dispatch;
using Rpc.Server.Gateway;
using Rpc.Server.Security;
using Rpc.Tests.Infrastructure;
using Rpc.Server.Errors;
using Rpc.Server.Events;

namespace Rpc.Tests.Security;

public sealed class RateLimitTests
{
    private const string Password = "correct horse battery";

    private static Task<RpcTestServer> StartAsync(FakeTimeProvider clock, Dictionary<string, string?> settings) =>
        RpcTestServer.StartAsync(settings, configureServices: s => s.AddSingleton<TimeProvider>(clock));

    internal static LoginRateLimiter Limiter(FakeTimeProvider clock, RateLimitOptions? options = null, IEventBus? bus = null) =>
        new(Options.Create(options ?? new RateLimitOptions()), clock, bus ?? new SharedBus());

    [Test]
    public async Task Auth_FailuresPastBurst_RefusedWithRetryAfter_EvenForCorrectPassword()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await StartAsync(clock, new()
        {
            ["RateLimits:LoginPerAccountAndAddress:Burst"] = "3",
            ["RateLimits:LoginPerAccountAndAddress:RefillSeconds"] = "60",
        });
        var user = await server.NewUserAsync();
        for (var i = 0; i < 3; i++)
        {
            var wrong = await server.ErrorAsync("users.auth", new { username = user.Username, password = "wrong password" });
            Assert.That(wrong.GetProperty("data").GetString(), Is.EqualTo("invalid password"));
        }

        var limited = await server.ErrorAsync("users.auth", new { username = user.Username, password = "wrong password" });
        Assert.That(limited.GetProperty("code").GetInt32(), Is.EqualTo(-32603));
        Assert.That(limited.GetProperty("data").GetString(), Is.EqualTo("rate limited: retry after 60 seconds: too many failed login attempts"));

        var correctTooEarly = await server.ErrorAsync("users.auth", new { username = user.Username, password = Password });
        Assert.That(correctTooEarly.GetProperty("data").GetString(), Does.StartWith("rate limited: retry after "));

        clock.Advance(TimeSpan.FromSeconds(30));
        var halfway = await server.ErrorAsync("users.auth", new { username = user.Username, password = Password });
        Assert.That(halfway.GetProperty("data").GetString(), Is.EqualTo("rate limited: retry after 30 seconds: too many failed login attempts"));

        clock.Advance(TimeSpan.FromSeconds(30));
        var auth = await server.ResultAsync("users.auth", new { username = user.Username, password = Password });
        Assert.That(auth.GetProperty("token").GetString(), Has.Length.EqualTo(43));
    }

    [Test]
    public async Task RateLimitedHttpReply_CarriesRetryAfter_InSeconds_LikeItsData()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await StartAsync(clock, new()
        {
            ["RateLimits:LoginPerAccountAndAddress:Burst"] = "1",
            ["RateLimits:LoginPerAccountAndAddress:RefillSeconds"] = "60",
        });
        var user = await server.NewUserAsync();
        const string wrong = """{"jsonrpc":"2.0","method":"users.auth","params":{"username":"USER","password":"wrong password"},"id":1}""";
        using (var first = await server.PostAsync(wrong.Replace("USER", user.Username)))
        {
            Assert.That(first.Headers.RetryAfter, Is.Null, "a plain failure is no rate limit");
        }

        clock.Advance(TimeSpan.FromSeconds(1));
        using var limited = await server.PostAsync(wrong.Replace("USER", user.Username));
        var body = JsonDocument.Parse(await limited.Content.ReadAsStringAsync()).RootElement;
        Assert.That(body.GetProperty("error").GetProperty("data").GetString(), Is.EqualTo("rate limited: retry after 59 seconds: too many failed login attempts"));
        Assert.That(limited.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromSeconds(59)));

        using var batch = await server.PostAsync("[" + wrong.Replace("USER", user.Username) + """,{"jsonrpc":"2.0","method":"users.check","params":{"username":"x"},"id":2}]""");
        Assert.That(batch.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromSeconds(59)), "a batch with one rate-limited member");
    }

    [Test]
    public async Task Auth_CorrectPasswords_DoNotCount()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await StartAsync(clock, new()
        {
            ["RateLimits:LoginPerAccountAndAddress:Burst"] = "2",
            ["RateLimits:LoginPerAddress:Burst"] = "2",
        });
        var user = await server.NewUserAsync();
        for (var i = 0; i < 6; i++)
        {
            await server.ResultAsync("users.auth", new { username = user.Username, password = Password });
        }
    }

    [Test]
    public async Task Auth_ParallelGuesses_OnlyBurstGetChecked()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await StartAsync(clock, new() { ["RateLimits:LoginPerAccountAndAddress:Burst"] = "5" });
        var user = await server.NewUserAsync();
        var errors = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ =>
            server.ErrorAsync("users.auth", new { username = user.Username, password = "wrong password" })));
        var data = errors.Select(e => e.GetProperty("data").GetString()).ToList();
        Assert.That(data.Count(d => d == "invalid password"), Is.EqualTo(5));
        Assert.That(data.Count(d => d!.StartsWith("rate limited: retry after ", StringComparison.Ordinal)), Is.EqualTo(15));
    }

    [Test]
    public async Task Auth_PerAddressLimit_SpansUsernames()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await StartAsync(clock, new()
        {
            ["RateLimits:LoginPerAddress:Burst"] = "4",
            ["RateLimits:LoginPerAddress:RefillSeconds"] = "10",
        });
        for (var i = 0; i < 4; i++)
        {
            var wrong = await server.ErrorAsync("users.auth", new { username = "nobody" + i, password = "wrong password" });
            Assert.That(wrong.GetProperty("data").GetString(), Is.EqualTo("invalid password"));
        }

        var limited = await server.ErrorAsync("users.auth", new { username = "somebody-else", password = "wrong password" });
        Assert.That(limited.GetProperty("data").GetString(), Is.EqualTo("rate limited: retry after 10 seconds: too many failed login attempts"));
    }

    [Test]
    public void Limiter_OneAddressFloodingAnAccount_DoesNotLockOwnerOutElsewhere()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var limiter = Limiter(clock);
        var refused = 0;
        for (var i = 0; i < 1000; i++)
        {
            try
            {
                limiter.BeginLogin("alice", "203.0.113.7");
            }
            catch (ServiceException)
            {
                refused++;
            }
        }

        Assert.That(refused, Is.EqualTo(1000 - new RateLimitOptions().LoginPerAccountAndAddress.Burst));
        var owner = limiter.BeginLogin("alice", "198.51.100.1");
        owner.Succeeded();
        Assert.That(() => limiter.BeginLogin("alice", "198.51.100.1"), Throws.Nothing, "the owner's right password gave its attempt back");
    }

    [Test]
    public void Limiter_ManyKeys_MemoryStaysBounded()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var options = new RateLimitOptions
        {
            MaxTrackedKeys = 100,
            LoginPerAddress = new BucketOptions { Burst = 1_000_000, RefillSeconds = 1 },
        };
        var limiter = Limiter(clock, options);
        for (var i = 0; i < 10_000; i++)
        {
            limiter.BeginLogin("user" + i, "192.0.2.1");
        }

        // Pair and account buckets stay within the bound; the one address bucket is one key.
        Assert.That(limiter.TrackedKeys, Is.LessThanOrEqualTo((2 * 100) + 1));
    }

    [Test]
    public async Task Create_PastPerAddressLimit_RefusedWithRetryAfter()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await StartAsync(clock, new()
        {
            ["RateLimits:CreatePerAddress:Burst"] = "2",
            ["RateLimits:CreatePerAddress:RefillSeconds"] = "60",
        });
        string Name() => "c" + Guid.NewGuid().ToString("N")[..10];
        await server.ResultAsync("users.create", new { username = Name(), password = Password });
        await server.ResultAsync("users.create", new { username = Name(), password = Password });
        var refusedName = Name();
        var limited = await server.ErrorAsync("users.create", new { username = refusedName, password = Password });
        Assert.That(limited.GetProperty("data").GetString(), Is.EqualTo("rate limited: retry after 60 seconds: too many accounts created from this address"));
        Assert.That((await server.ResultAsync("users.check", new { username = refusedName })).GetBoolean(), Is.False);

        clock.Advance(TimeSpan.FromSeconds(60));
        await server.ResultAsync("users.create", new { username = refusedName, password = Password });
    }

    [Test]
    public void Limiter_ChargesOnAnotherServer_CountHere_AndRefundsGiveBack()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var options = new RateLimitOptions { LoginPerAccountAndAddress = new BucketOptions { Burst = 3, RefillSeconds = 60 } };
        var bus = new SharedBus();
        var here = Limiter(clock, options, bus);
        var there = Limiter(clock, options, bus);
        bus.Sinks.AddRange([here, there]);

        for (var i = 0; i < 3; i++)
        {
            there.BeginLogin("alice", "10.0.0.1").Succeeded();
        }

        Assert.DoesNotThrow(() => here.BeginLogin("alice", "10.0.0.1").Succeeded(), "right passwords elsewhere gave their attempts back here too");
        for (var i = 0; i < 3; i++)
        {
            there.BeginLogin("alice", "10.0.0.1");
        }

        var refused = Assert.Throws<ServiceException>(() => here.BeginLogin("alice", "10.0.0.1"));
        Assert.That(refused!.ErrorData, Is.EqualTo("rate limited: retry after 60 seconds: too many failed login attempts"));
        Assert.DoesNotThrow(() => here.BeginLogin("bob", "10.0.0.1"), "other names from the address are not affected");
    }

    /// <summary>A bus between limiters in one test, delivering every message to every sink, the publisher's own included.</summary>
    private sealed class SharedBus : IEventBus
    {
        public List<IEventSink> Sinks { get; } = [];

        public void Publish(BusMessage message)
        {
            foreach (var sink in Sinks)
            {
                sink.Deliver(message);
            }
        }
    }
}


public sealed class AddressKeyTests
{
    [TestCase("203.0.113.7", "203.0.113.7")]
    [TestCase("::ffff:203.0.113.7", "203.0.113.7")]
    [TestCase("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64")]
    [TestCase("2001:db8:1:2::1", "2001:db8:1:2::/64")]
    [TestCase("::1", "::/64")]
    [TestCase(null, "unknown")]
    public void Of_GroupsIpv6ByPrefix_AndIpv4ByAddress(string? address, string expected)
    {
        Assert.That(Rpc.Server.Security.AddressKey.Of(address), Is.EqualTo(expected));
        // The transports key a parsed address (the connection's) the same way.
        var parsed = address is null ? null : System.Net.IPAddress.Parse(address);
        Assert.That(Rpc.Server.Security.AddressKey.Of(parsed), Is.EqualTo(expected));
    }

    [Test]
    public void Limiter_AddressesInOneIpv6Prefix_ShareTheAddressBucket()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var limiter = RateLimitTests.Limiter(clock, new RateLimitOptions { LoginPerAddress = new BucketOptions { Burst = 3, RefillSeconds = 60 } });
        for (var i = 1; i <= 3; i++)
        {
            limiter.BeginLogin("user" + i, $"2001:db8:1:2::{i}");
        }

        Assert.That(() => limiter.BeginLogin("user9", "2001:db8:1:2:ffff::9"), Throws.InstanceOf<ServiceException>());
        Assert.That(() => limiter.BeginLogin("user9", "2001:db8:1:3::9"), Throws.Nothing, "another /64 has its own allowance");
    }
}
