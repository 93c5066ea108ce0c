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
        using var hasher = Hasher();
        var hash = await hasher.ComputeAsync("password123", Encoding.UTF8.GetBytes("somesaltsalt"), 19456, 2, 1, 32, CancellationToken.None);
        Assert.That(Convert.ToHexStringLower(hash), Is.EqualTo("9788f73c9c25addd0d39d78d6e0d60c06a8cc1ec5001e5677d3eea7e076e2c0b"));
    }

    [Test]
    public async Task Hash_IsPhcString_WithDefaultOwaspParameters()
    {
        using var hasher = Hasher();
        var phc = await hasher.HashAsync("correct horse", CancellationToken.None);
        Assert.That(phc, Does.Match(@"^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$"));
        Assert.That(await hasher.VerifyAsync("correct horse", phc, CancellationToken.None), Is.EqualTo(PasswordCheck.Succeeded));
        Assert.That(await hasher.VerifyAsync("correct horsf", phc, CancellationToken.None), Is.EqualTo(PasswordCheck.Failed));
    }

    [Test]
    public async Task Verify_OldParameters_SucceedsAndAsksForRehash()
    {
        using var weak = Hasher(8192, 1);
        var phc = await weak.HashAsync("correct horse", CancellationToken.None);
        using var current = Hasher();
        Assert.That(await current.VerifyAsync("correct horse", phc, CancellationToken.None), Is.EqualTo(PasswordCheck.SucceededNeedsRehash));
    }

    [Test]
    public async Task Verify_UnknownUser_FailsAfterAFullHash()
    {
        using var hasher = Hasher(8192, 1);
        Assert.That(await hasher.VerifyAsync("anything", null, CancellationToken.None), Is.EqualTo(PasswordCheck.Failed));
    }

    [TestCase("")]
    [TestCase("$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA")]
    [TestCase("$argon2id$v=19$m=x,t=1,p=1$c2FsdHNhbHQ$aGFzaA")]
    [TestCase("$argon2id$v=19$m=8,t=1,p=1$$")]
    public async Task Verify_MalformedStoredHash_Fails(string phc)
    {
        using var hasher = Hasher(8192, 1);
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
