using System.Net;
using System.Text.Json;
using Dapper;
using Rpc.Server.Operations;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Operations;

[TestFixture]
public sealed class HealthTests
{
    [Test]
    public async Task Healthz_Running_200WithTheBuildVersion()
    {
        await using var server = await RpcTestServer.StartAsync();
        using var response = await server.Http.GetAsync("/healthz");
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(body.GetProperty("status").GetString(), Is.EqualTo("Healthy"));
        Assert.That(body.GetProperty("version").GetString(), Is.EqualTo(ServerVersion.Informational));
        Assert.That(ServerVersion.Informational, Does.StartWith("1."));
    }

    [Test]
    public async Task Readyz_DatabaseMigrated_200ListingEachCheck()
    {
        await using var server = await RpcTestServer.StartAsync();
        using var response = await server.Http.GetAsync("/readyz");
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body.ToString());
        var checks = body.GetProperty("checks").EnumerateObject().Select(p => p.Name).ToList();
        Assert.That(checks, Does.Contain("database").And.Contain("migrations"));
        if (RpcTestServer.Postgres is not null)
        {
            Assert.That(checks, Does.Contain("bus"));
        }
    }

    [Test]
    public async Task Readyz_MigrationMissing_503NamingTheCheck()
    {
        await using var server = await RpcTestServer.StartAsync();
        await using (var connection = await server.OpenDatabaseAsync())
        {
            await connection.ExecuteAsync("DELETE FROM schema_migrations WHERE version = (SELECT MAX(version) FROM schema_migrations)");
        }

        using var response = await server.Http.GetAsync("/readyz");
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(body.GetProperty("failing").EnumerateArray().Select(e => e.GetString()), Is.EqualTo(new[] { "migrations" }));
        Assert.That(body.GetProperty("version").GetString(), Is.EqualTo(ServerVersion.Informational));

        using var alive = await server.Http.GetAsync("/healthz");
        Assert.That(alive.StatusCode, Is.EqualTo(HttpStatusCode.OK), "liveness does not depend on the database");
    }
}
