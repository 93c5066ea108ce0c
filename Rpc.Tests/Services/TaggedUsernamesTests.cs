using System.Text.Json;
using Dapper;
using Microsoft.Data.Sqlite;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Services;

/// <summary>Discord-style tagged usernames: <c>Accounts:UniqueUsernames=false</c>.</summary>
public sealed class TaggedUsernamesTests
{
    private const string Password = "correct horse battery";
    private RpcTestServer server = null!;

    [OneTimeSetUp]
    public async Task StartAsync() =>
        server = await RpcTestServer.StartAsync(new Dictionary<string, string?> { ["Accounts:UniqueUsernames"] = "false" });

    [OneTimeTearDown]
    public async Task StopAsync() => await server.DisposeAsync();

    private static string Data(JsonElement error) => error.GetProperty("data").GetString()!;

    private static string NewName() => "t" + Guid.NewGuid().ToString("N")[..12];

    private async Task<JsonElement> CreateAsync(string username) =>
        await server.ResultAsync("users.create", new { username, password = Password });

    [Test]
    public async Task Create_SameNameThreeTimes_GivesDistinctDiscriminators_AndNoClaim()
    {
        var name = NewName();
        var users = new[] { await CreateAsync(name), await CreateAsync(name.ToUpperInvariant()), await CreateAsync(name) };
        Assert.That(users.Select(u => u.GetProperty("discriminator").GetString()).Distinct().Count(), Is.EqualTo(3));
        await using var connection = await server.OpenDatabaseAsync();
        Assert.That(await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM users WHERE username_key = @name AND username_claim IS NULL", new { name }), Is.EqualTo(3));
    }

    [Test]
    public async Task Auth_SharedPlainName_IsAmbiguous_TagLogsIntoTheRightAccount()
    {
        var name = NewName();
        var first = await CreateAsync(name);
        var second = await CreateAsync(name);
        Assert.That(Data(await server.ErrorAsync("users.auth", new { username = name, password = Password })),
            Is.EqualTo("several accounts have this username: log in with username#discriminator"));
        var tag = $"{name}#{second.GetProperty("discriminator").GetString()}";
        var auth = await server.ResultAsync("users.auth", new { username = tag, password = Password });
        Assert.That(auth.GetProperty("user_id").GetString(), Is.EqualTo(second.GetProperty("id").GetString()));
        Assert.That(auth.GetProperty("user_id").GetString(), Is.Not.EqualTo(first.GetProperty("id").GetString()));
    }

    [Test]
    public async Task Auth_UnsharedPlainName_LogsIn()
    {
        var name = NewName();
        var user = await CreateAsync(name);
        var auth = await server.ResultAsync("users.auth", new { username = name, password = Password });
        Assert.That(auth.GetProperty("user_id").GetString(), Is.EqualTo(user.GetProperty("id").GetString()));
    }

    [Test]
    public async Task Check_TagAndPlainName()
    {
        var name = NewName();
        var user = await CreateAsync(name);
        var discriminator = user.GetProperty("discriminator").GetString()!;
        var other = discriminator == "0001" ? "0002" : "0001";
        Assert.That((await server.ResultAsync("users.check", new[] { $"{name}#{discriminator}" })).GetBoolean(), Is.True);
        Assert.That((await server.ResultAsync("users.check", new[] { $"{name}#{other}" })).GetBoolean(), Is.False);
        Assert.That((await server.ResultAsync("users.check", new[] { name.ToUpperInvariant() })).GetBoolean(), Is.True);
        Assert.That((await server.ResultAsync("users.check", new[] { NewName() })).GetBoolean(), Is.False);
    }

    [Test]
    public async Task Create_AllDiscriminatorsTaken_IsRefusedClearly()
    {
        var name = NewName();
        await using (var connection = await server.OpenDatabaseAsync())
        {
            await using var transaction = await connection.BeginTransactionAsync();
            var rows = Enumerable.Range(1, 9999).Where(d => d != 1234).Select(d => new
            {
                id = 1_000_000_000L + (long)Random.Shared.Next(0, 1 << 20) * 10_000 + d,
                name,
                discriminator = d.ToString("D4", System.Globalization.CultureInfo.InvariantCulture),
            });
            await connection.ExecuteAsync("""
                INSERT INTO users (id, username, username_key, username_claim, discriminator, display_name, flags, password_hash, created_at)
                VALUES (@id, @name, @name, NULL, @discriminator, @name, 0, 'x', 0)
                """, rows, transaction);
            await transaction.CommitAsync();
        }

        var last = await CreateAsync(name);
        Assert.That(last.GetProperty("discriminator").GetString(), Is.EqualTo("1234"), "the one value left is found");
        Assert.That(Data(await server.ErrorAsync("users.create", new { username = name, password = Password })),
            Is.EqualTo($"all discriminators of username {name} are taken; choose another username"));

        // Renaming into the full name is refused the same way, and changes nothing.
        var other = await CreateAsync(NewName());
        var token = (await server.ResultAsync("users.auth", new { username = other.GetProperty("username").GetString(), password = Password })).GetProperty("token").GetString();
        Assert.That(Data(await server.ErrorAsync("users.update", new { username = name }, token)),
            Is.EqualTo($"all discriminators of username {name} are taken; choose another username"));
        Assert.That((await server.ResultAsync("users.self", token: token)).GetProperty("username").GetString(), Is.EqualTo(other.GetProperty("username").GetString()));
    }

    [Test]
    public async Task Update_DiscriminatorClash_IsRefused_RenameRepicksWhenTaken()
    {
        var name = NewName();
        var holder = await CreateAsync(name);
        var held = holder.GetProperty("discriminator").GetString()!;
        var mover = await CreateAsync(NewName());
        var token = (await server.ResultAsync("users.auth", new { username = mover.GetProperty("username").GetString(), password = Password })).GetProperty("token").GetString();

        Assert.That(Data(await server.ErrorAsync("users.update", new { username = name, discriminator = held }, token)), Is.EqualTo($"{name}#{held} is already taken"));
        Assert.That((await server.ResultAsync("users.self", token: token)).ToString(), Is.EqualTo(mover.ToString()[..^1] + ",\"mfa_enabled\":false}"));

        // Move to the holder's discriminator under its own name first, then rename: the rename must re-pick.
        await server.ResultAsync("users.update", new { discriminator = held }, token);
        var renamed = await server.ResultAsync("users.update", new { username = name }, token);
        Assert.That(renamed.GetProperty("username").GetString(), Is.EqualTo(name));
        Assert.That(renamed.GetProperty("discriminator").GetString(), Is.Not.EqualTo(held));
    }

    [Test]
    public async Task Create_TenConcurrentOfOneName_AllSucceedWithDistinctDiscriminators()
    {
        var name = NewName();
        var users = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => server.ResultAsync("users.create", new { username = name, password = Password })));
        Assert.That(users.Select(u => u.GetProperty("discriminator").GetString()).Distinct().Count(), Is.EqualTo(10));
    }
}
