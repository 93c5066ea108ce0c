using System.Data.Common;
using Rpc.Server.Data;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Data;

/// <summary>Tests of the SQLite file itself: the PostgreSQL run of the suite (run.sh) leaves them out.</summary>
[Category("sqlite")]
public sealed class ConnectionSettingsTests
{
    private static async Task<long> PragmaAsync(DbConnection connection, string name)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA {name}";
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    [Test]
    public async Task EveryOpenedConnection_FreshOrPooled_HasForeignKeysAndSynchronous()
    {
        await using var server = await RpcTestServer.StartAsync(new Dictionary<string, string?> { ["Database:Synchronous"] = "FULL" });
        var factory = server.Get<DbConnectionFactory>();
        // Several at once forces new native connections; the rounds after reuse them from the pool.
        for (var round = 0; round < 3; round++)
        {
            var connections = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => factory.OpenAsync(CancellationToken.None)));
            foreach (var connection in connections)
            {
                Assert.That(await PragmaAsync(connection, "foreign_keys"), Is.EqualTo(1));
                Assert.That(await PragmaAsync(connection, "synchronous"), Is.EqualTo(2), "2 is FULL");
                await using var orphan = connection.CreateCommand();
                orphan.CommandText = "INSERT INTO sessions (id, user_id, token_hash, created_at, last_used_at) VALUES (1, 424242, 'x', 0, 0)";
                Assert.That(async () => await orphan.ExecuteNonQueryAsync(), Throws.InstanceOf<DbException>());
                await connection.DisposeAsync();
            }
        }
    }
}
