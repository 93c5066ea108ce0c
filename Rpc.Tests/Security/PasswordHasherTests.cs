using System.Text;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Rpc.Server.Security;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Security;

public sealed class PasswordHasherTests
{
    private static PasswordHasher Hasher(int memoryKiB = 19456, int iterations = 2) =>
        new(Options.Create(new PasswordOptions { MemoryKiB = memoryKiB, Iterations = iterations, Parallelism = 1 }));

    [Test]
    public async Task Compute_ReferenceVector_MatchesTheArgon2Tool()
    {
        var hasher = Hasher();
        var hash = await hasher.ComputeAsync("password123", Encoding.UTF8.GetBytes("somesaltsalt"), 19456, 2, 1, 32, CancellationToken.None);
        Assert.That(Convert.ToHexStringLower(hash), Is.EqualTo("9788f73c9c25addd0d39d78d6e0d60c06a8cc1ec5001e5677d3eea7e076e2c0b"));
    }

    /// <summary>
    /// A 16-byte salt and one lane go through libsodium; the expected bytes are Konscious's for the same input
    /// (the engine the 12-byte reference above still uses), so hashes stored before the switch still verify.
    /// </summary>
    [Test]
    public async Task Compute_SixteenByteSalt_LibsodiumGivesTheSameBytesAsKonscious()
    {
        var hasher = Hasher();
        var salt = Enumerable.Range(0, 16).Select(i => (byte)i).ToArray();
        var hash = await hasher.ComputeAsync("bench password 1", salt, 19456, 2, 1, 32, CancellationToken.None);
        Assert.That(Convert.ToHexString(hash), Is.EqualTo("79F5EFE28FC5A87DD90727432CDC1E5FA426C58CBB957BD545C15CEF0FC5A99E"));
    }

    [Test]
    public void MaxConcurrentHashes_DefaultsToTheCoreCount()
    {
        Assert.That(new PasswordOptions().EffectiveMaxConcurrentHashes, Is.EqualTo(Environment.ProcessorCount));
        Assert.That(new PasswordOptions { MaxConcurrentHashes = 7 }.EffectiveMaxConcurrentHashes, Is.EqualTo(7));
    }

    [Test]
    public async Task Hash_IsPhcString_WithDefaultOwaspParameters()
    {
        var hasher = Hasher();
        var phc = await hasher.HashAsync("correct horse", CancellationToken.None);
        Assert.That(phc, Does.Match(@"^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$"));
        Assert.That(await hasher.VerifyAsync("correct horse", phc, CancellationToken.None), Is.EqualTo(PasswordCheck.Succeeded));
        Assert.That(await hasher.VerifyAsync("correct horsf", phc, CancellationToken.None), Is.EqualTo(PasswordCheck.Failed));
    }

    [Test]
    public async Task Verify_OldParameters_SucceedsAndAsksForRehash()
    {
        var weak = Hasher(8192, 1);
        var phc = await weak.HashAsync("correct horse", CancellationToken.None);
        var current = Hasher();
        Assert.That(await current.VerifyAsync("correct horse", phc, CancellationToken.None), Is.EqualTo(PasswordCheck.SucceededNeedsRehash));
    }

    [Test]
    public async Task Verify_UnknownUser_FailsAfterAFullHash()
    {
        var hasher = Hasher(8192, 1);
        Assert.That(await hasher.VerifyAsync("anything", null, CancellationToken.None), Is.EqualTo(PasswordCheck.Failed));
    }

    [TestCase("")]
    [TestCase("$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA")]
    [TestCase("$argon2id$v=19$m=x,t=1,p=1$c2FsdHNhbHQ$aGFzaA")]
    [TestCase("$argon2id$v=19$m=8,t=1,p=1$$")]
    public async Task Verify_MalformedStoredHash_Fails(string phc)
    {
        var hasher = Hasher(8192, 1);
        Assert.That(await hasher.VerifyAsync("anything", phc, CancellationToken.None), Is.EqualTo(PasswordCheck.Failed));
    }

    [Test]
    public async Task Login_WithOutdatedHash_RehashesWithCurrentParameters()
    {
        var directory = Path.Combine(Path.GetTempPath(), "rpc-tests", Guid.NewGuid().ToString("N"));
        await using (var weak = await RpcTestServer.StartAsync(directory: directory))
        {
            weak.KeepFiles = true;
            await weak.ResultAsync("users.create", new { username = "rehashme", password = "password1" });
        }

        await using var strong = await RpcTestServer.StartAsync(new Dictionary<string, string?> { ["Passwords:MemoryKiB"] = "9216", ["Passwords:Iterations"] = "2" }, directory);
        await using var connection = await strong.OpenDatabaseAsync();
        Assert.That(await connection.ExecuteScalarAsync<string>("SELECT password_hash FROM users"), Does.Contain("m=8192,t=1"));
        await strong.ResultAsync("users.auth", new { username = "rehashme", password = "password1" });
        Assert.That(await connection.ExecuteScalarAsync<string>("SELECT password_hash FROM users"), Does.Contain("m=9216,t=2"));
        await strong.ResultAsync("users.auth", new { username = "rehashme", password = "password1" });
    }
}
