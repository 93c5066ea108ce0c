using Dapper;
using Npgsql;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Data;

public sealed class PostgresCollationTests
{
    [Test]
    public async Task Start_OnADatabaseWithALinguisticCollation_RefusesWithTheFix()
    {
        if (RpcTestServer.Postgres is null)
        {
            Assert.Ignore("a PostgreSQL setting; run.sh runs this in its PostgreSQL run");
        }

        var name = "rpc_icu_" + Guid.NewGuid().ToString("N")[..12];
        await using var admin = new NpgsqlConnection(RpcTestServer.Postgres);
        await admin.OpenAsync();
        await admin.ExecuteAsync($"CREATE DATABASE \"{name}\" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'");
        try
        {
            var connectionString = new NpgsqlConnectionStringBuilder(RpcTestServer.Postgres) { Database = name }.ConnectionString;
            var refused = Assert.ThrowsAsync<InvalidOperationException>(() => RpcTestServer.StartAsync(
                new Dictionary<string, string?> { ["Database:ConnectionString"] = connectionString }));
            Assert.That(refused!.Message, Does.StartWith("the PostgreSQL database must use the C collation").And.Contain("LC_COLLATE 'C'"));
        }
        finally
        {
            await admin.ExecuteAsync($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
        }
    }
}
