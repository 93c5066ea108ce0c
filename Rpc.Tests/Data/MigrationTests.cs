using Dapper;
using Microsoft.Data.Sqlite;
using Rpc.Server.Data;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Data;

/// <summary>Tests of the SQLite file itself: the PostgreSQL run of the suite (run.sh) leaves them out.</summary>
[Category("sqlite")]
public sealed class MigrationTests
{
    [Test]
    public async Task EmptyDatabase_GetsEveryMigration_InWalMode_AndRestartAppliesNothing()
    {
        var directory = Path.Combine(Path.GetTempPath(), "rpc-tests", Guid.NewGuid().ToString("N"));
        await using (var first = await RpcTestServer.StartAsync(directory: directory))
        {
            first.KeepFiles = true;
            await first.ResultAsync("users.create", new { username = "survivor", password = "password1" });
        }

        await using var second = await RpcTestServer.StartAsync(directory: directory);
        Assert.That(await second.Get<MigrationRunner>().ApplyAsync(CancellationToken.None), Is.Zero);
        await using var connection = new SqliteConnection($"Data Source={second.DatabasePath};Pooling=False");
        var versions = (await connection.QueryAsync<long>("SELECT version FROM schema_migrations ORDER BY version")).ToList();
        Assert.That(versions, Is.EqualTo(MigrationRunner.Embedded().Select(m => (long)m.Version).ToList()));
        Assert.That(await connection.ExecuteScalarAsync<string>("PRAGMA journal_mode"), Is.EqualTo("wal"));
        Assert.That(await connection.ExecuteScalarAsync<string>("PRAGMA integrity_check"), Is.EqualTo("ok"));
        Assert.That((await second.ResultAsync("users.check", new { username = "survivor" })).GetBoolean(), Is.True);
    }

    [Test]
    public void Embedded_AreNumberedWithoutDuplicates()
    {
        // Gaps are allowed: numbers are handed out to parallel branches ahead of their landing.
        var versions = MigrationRunner.Embedded().Select(m => m.Version).ToList();
        Assert.That(versions, Is.Ordered.Ascending.And.Unique);
        Assert.That(versions[0], Is.EqualTo(1));
    }
}
