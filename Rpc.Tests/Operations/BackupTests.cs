using System.Collections.Concurrent;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Rpc.Server.Data;
using Rpc.Server.Management;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Operations;

/// <summary>./run.sh manage backup / restore on SQLite, and the automatic backup before migrations.</summary>
[TestFixture]
[Category("sqlite")]
public sealed class BackupTests
{
    private static async Task<(int Code, string Output, string Errors)> ManageAsync(params string[] args)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        var code = await ManageCommand.RunAsync(args, output, errors);
        return (code, output.ToString(), errors.ToString());
    }

    [Test]
    public async Task BackupThenRestore_UnderConcurrentWrites_KeepsEveryAccountAcknowledgedBeforeTheBackup()
    {
        var server = await RpcTestServer.StartAsync();
        server.KeepFiles = true;
        var backup = Path.Combine(server.Directory, "backup", "copy.db");
        var acknowledged = new ConcurrentQueue<(string Name, DateTime At)>();
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 3).Select(async w =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var name = $"bk{w}_{i}";
                await server.ResultAsync("users.create", new { username = name, password = "correct horse battery" });
                acknowledged.Enqueue((name, DateTime.UtcNow));
            }
        }).ToList();
        for (var deadline = DateTime.UtcNow.AddSeconds(60); acknowledged.Count < 6 && DateTime.UtcNow < deadline;)
        {
            await Task.Delay(20);
        }

        var backupStarted = DateTime.UtcNow;
        var (code, output, errors) = await ManageAsync("backup", backup, "--db", server.DatabasePath);
        Assert.That(code, Is.Zero, errors);
        Assert.That(output, Does.Contain("integrity_check ok"));
        var after = acknowledged.Count;
        for (var deadline = DateTime.UtcNow.AddSeconds(60); acknowledged.Count < after + 3 && DateTime.UtcNow < deadline;)
        {
            await Task.Delay(20);
        }

        await stop.CancelAsync();
        await Task.WhenAll(writers);
        var before = acknowledged.Where(a => a.At < backupStarted).Select(a => a.Name).ToList();
        Assert.That(before, Is.Not.Empty);
        Assert.That(acknowledged.Count, Is.GreaterThan(before.Count), "writes went on during the backup");

        var refused = await ManageAsync("restore", backup, "--db", server.DatabasePath);
        Assert.That(refused.Code, Is.EqualTo(1));
        Assert.That(refused.Errors, Does.Contain("a running server"));

        await server.DisposeAsync();
        var restored = await ManageAsync("restore", backup, "--db", server.DatabasePath);
        Assert.That(restored.Code, Is.Zero, restored.Errors);
        Assert.That(Directory.GetFiles(server.Directory, "rpc.db.replaced-*"), Is.Not.Empty, "the replaced database is kept");

        await using var again = await RpcTestServer.StartAsync(directory: server.Directory);
        foreach (var name in before)
        {
            Assert.That((await again.ResultAsync("users.check", new { username = name })).GetBoolean(), Is.True, name);
        }

        await using var connection = await again.OpenDatabaseAsync();
        Assert.That(await connection.ExecuteScalarAsync<string>("PRAGMA integrity_check"), Is.EqualTo("ok"));
    }

    [Test]
    public async Task Backup_ExistingFile_RefusedAndUntouched()
    {
        await using var server = await RpcTestServer.StartAsync();
        var target = Path.Combine(server.Directory, "exists.db");
        await File.WriteAllTextAsync(target, "keep me");
        var (code, _, errors) = await ManageAsync("backup", target, "--db", server.DatabasePath);
        Assert.That(code, Is.EqualTo(1));
        Assert.That(errors, Does.Contain("exists"));
        Assert.That(await File.ReadAllTextAsync(target), Is.EqualTo("keep me"));
    }

    [Test]
    public async Task Migrations_PendingOnADatabaseWithData_BackedUpFirst()
    {
        var directory = Directory.CreateTempSubdirectory("rpc-migrate").FullName;
        var path = Path.Combine(directory, "rpc.db");
        var options = Options.Create(new DatabaseOptions { Path = path });
        await using (var factory = new DbConnectionFactory(options))
        {
            await new MigrationRunner(factory, TimeProvider.System, options, NullLogger<MigrationRunner>.Instance).ApplyAsync(CancellationToken.None);
            Assert.That(Directory.GetFiles(directory, "*.bak"), Is.Empty, "a new database has nothing to back up");
            await using (var connection = await factory.OpenAsync(CancellationToken.None))
            {
                await connection.ExecuteAsync("CREATE TABLE marker (x INTEGER); INSERT INTO marker VALUES (42)");
            }

            var runner = new MigrationRunner(factory, TimeProvider.System, options, NullLogger<MigrationRunner>.Instance)
            {
                Migrations = [.. MigrationRunner.Embedded(), (9999, "9999_probe", "CREATE TABLE probe (x INTEGER)")],
            };
            Assert.That(await runner.ApplyAsync(CancellationToken.None), Is.EqualTo(1));
        }

        SqliteConnection.ClearAllPools();
        var backup = Directory.GetFiles(directory, "rpc.db.before-9999_probe-*.bak").Single();
        await using var copy = new SqliteConnection($"Data Source={backup};Mode=ReadOnly;Pooling=False");
        await copy.OpenAsync();
        Assert.That(await copy.ExecuteScalarAsync<long>("SELECT x FROM marker"), Is.EqualTo(42));
        Assert.That(await copy.ExecuteScalarAsync<long>("SELECT count(*) FROM sqlite_master WHERE name = 'probe'"), Is.Zero);
    }
}

/// <summary>./run.sh manage backup / restore on PostgreSQL: pg_dump and pg_restore with the connection string's settings.</summary>
[TestFixture]
public sealed class PostgresBackupTests
{
    [Test]
    public async Task BackupThenRestore_OnPostgres_BringsBackTheDatabaseAsOfTheBackup()
    {
        if (RpcTestServer.Postgres is null)
        {
            Assert.Ignore("PostgreSQL only: ./run.sh test runs it on its throwaway PostgreSQL server");
        }

        var server = await RpcTestServer.StartAsync();
        server.KeepFiles = true;
        var target = ManageProcess.TargetOf(server);
        var kept = await server.NewUserAsync("pgk");
        var backup = Path.Combine(server.Directory, "backup", "rpc.dump");
        var dumped = await ManageProcess.RunAsync(target, "backup", backup);
        Assert.That(dumped.Exit, Is.Zero, dumped.Err);
        Assert.That(dumped.Out, Does.Contain("pg_dump"));
        Assert.That(new FileInfo(backup).Length, Is.GreaterThan(0));
        var later = await server.NewUserAsync("pgl");

        var refused = await ManageProcess.RunAsync(target, "restore", backup);
        Assert.That(refused.Exit, Is.EqualTo(1));
        Assert.That(refused.Err, Does.Contain("a running server"));

        await server.DisposeAsync();
        var restored = await ManageProcess.RunAsync(target, "restore", backup);
        Assert.That(restored.Exit, Is.Zero, restored.Err);

        await using var again = await RpcTestServer.StartAsync(directory: server.Directory);
        Assert.That((await again.ResultAsync("users.check", new { username = kept.Username })).GetBoolean(), Is.True, "an account from before the backup");
        Assert.That((await again.ResultAsync("users.check", new { username = later.Username })).GetBoolean(), Is.False, "an account created after the backup");
        var login = await again.ResultAsync("users.auth", new { username = kept.Username, password = kept.Password });
        Assert.That(login.GetProperty("token").GetString(), Is.Not.Empty);
    }
}
