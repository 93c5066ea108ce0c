using Dapper;
using Rpc.Server.Data;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Data;

public sealed class SharedDatabaseTests
{
    [Test]
    public async Task TwoServers_StartingTogetherOnANewDatabase_ApplyEachMigrationOnce_AndShareAccounts()
    {
        var directory = Path.Combine(Path.GetTempPath(), "rpc-tests", Guid.NewGuid().ToString("N"));
        var servers = await Task.WhenAll(RpcTestServer.StartAsync(directory: directory), RpcTestServer.StartAsync(directory: directory));
        servers[1].KeepFiles = true;
        try
        {
            var user = await servers[0].NewUserAsync();
            Assert.That((await servers[1].ResultAsync("users.check", new { username = user.Username })).GetBoolean(), Is.True);
            await using var connection = await servers[1].OpenDatabaseAsync();
            Assert.That(await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM schema_migrations"), Is.EqualTo(MigrationRunner.Embedded().Count));
        }
        finally
        {
            await servers[1].DisposeAsync();
            await servers[0].DisposeAsync();
        }
    }
}
