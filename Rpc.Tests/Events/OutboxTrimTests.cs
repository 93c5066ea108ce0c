using Dapper;
using Rpc.Server.Events;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Events;

/// <summary>
/// The bus outbox does not grow without end (issue #17): a running server deletes the messages older than
/// <c>Cluster:OutboxRetention</c>, on SQLite (the poller) and on PostgreSQL (the bus), but keeps the last one,
/// since positions go on from it.
/// </summary>
public sealed class OutboxTrimTests
{
    [Test]
    public async Task OldMessages_AreTrimmed_RecentOnesAndTheLastOneKept()
    {
        await using var server = await RpcTestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Cluster:OutboxRetention"] = "00:00:10",
            ["Cluster:OutboxPollInterval"] = "00:00:00.100",
        });
        // Written as the server's own messages, which its readers pass over; "recent" is an hour ahead so that
        // a slow machine cannot age it past the retention before the check.
        var self = server.Get<ClusterNode>().Id.ToString();
        var recent = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeMilliseconds();
        long last;
        await using (var connection = await server.OpenDatabaseAsync())
        {
            last = await connection.ExecuteScalarAsync<long>("SELECT COALESCE(MAX(position), 0) FROM bus_outbox");
            foreach (var (offset, createdAt) in new[] { (1L, 0L), (2L, 0L), (3L, recent), (4L, 0L) })
            {
                await connection.ExecuteAsync(
                    "INSERT INTO bus_outbox (position, stream, node, body, created_at) VALUES (@position, 0, @self, '', @createdAt)",
                    new { position = last + offset, self, createdAt });
            }
        }

        IReadOnlyList<long> left = [];
        await Eventually.WaitUntilAsync(
            async () =>
            {
                await using var connection = await server.OpenDatabaseAsync();
                left = (await connection.QueryAsync<long>("SELECT position FROM bus_outbox WHERE position > @last ORDER BY position", new { last })).AsList();
                return !left.Contains(last + 1) && !left.Contains(last + 2);
            },
            TimeSpan.FromSeconds(60),
            "the two old messages were trimmed");
        Assert.That(left, Is.EqualTo(new[] { last + 3, last + 4 }), "the recent message and the last one stay");
    }
}
