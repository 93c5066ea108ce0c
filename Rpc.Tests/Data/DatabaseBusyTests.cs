using Dapper;
using Microsoft.Data.Sqlite;
using Rpc.Contracts.Protocol;
using Rpc.Server.Data;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Data;

/// <summary>
/// A database that does not answer in time gives a clear, retryable error after the busy timeout, never a
/// hang or an unexpected fault, and the server works again once the database does.
/// </summary>
public sealed class DatabaseBusyTests
{
    [Test]
    public async Task WriteWhileTheDatabaseIsLocked_FailsWithDatabaseBusy_AfterTheTimeout_ThenSucceeds()
    {
        await using var server = await RpcTestServer.StartAsync(new Dictionary<string, string?> { ["Database:BusyTimeoutSeconds"] = "1" });
        var name = "busy" + Guid.NewGuid().ToString("N")[..8];
        await using (var holder = await HoldTheWriteLockAsync(server))
        {
            var started = DateTime.UtcNow;
            var error = await server.ErrorAsync("users.create", new { username = name, password = "password1" });
            var waited = DateTime.UtcNow - started;
            Assert.That(error.GetProperty("code").GetInt32(), Is.EqualTo(-32603));
            Assert.That(error.GetProperty("data").GetString(), Is.EqualTo(ErrorData.DatabaseBusy));
            Assert.That(waited, Is.GreaterThan(TimeSpan.FromSeconds(0.8)).And.LessThan(TimeSpan.FromSeconds(10)));
        }

        Assert.That((await server.ResultAsync("users.check", new { username = name })).GetBoolean(), Is.False, "the refused call changed nothing");
        var created = await server.ResultAsync("users.create", new { username = name, password = "password1" });
        Assert.That(created.GetProperty("username").GetString(), Is.EqualTo(name));
    }

    /// <summary>
    /// Another client holding the lock every write needs: on SQLite an exclusive transaction on the file,
    /// on PostgreSQL the advisory lock that write transactions take.
    /// </summary>
    private static async Task<IAsyncDisposable> HoldTheWriteLockAsync(RpcTestServer server)
    {
        if (RpcTestServer.Postgres is null)
        {
            var sqlite = new SqliteConnection($"Data Source={server.DatabasePath};Pooling=False");
            await sqlite.OpenAsync();
            await sqlite.ExecuteAsync("BEGIN EXCLUSIVE");
            return sqlite;
        }

        var connection = await server.OpenDatabaseAsync();
        await connection.ExecuteAsync("SELECT pg_advisory_lock(@key)", new { key = SqlDialect.WriteLockKey });
        return connection;
    }
}
