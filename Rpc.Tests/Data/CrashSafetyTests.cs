using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Microsoft.Data.Sqlite;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Data;

/// <summary>Tests of the SQLite file itself: the PostgreSQL run of the suite (run.sh) leaves them out.</summary>
[Category("sqlite")]
public sealed class CrashSafetyTests
{
    private const string Password = "crash safe password";

    private static readonly Dictionary<string, string> Environment = new()
    {
        ["Passwords__MemoryKiB"] = "8192",
        ["Passwords__Iterations"] = "1",
        ["RateLimits__CreatePerAddress__Burst"] = "1000000",
        ["Logging__LogLevel__Default"] = "Warning",
    };

    private static async Task<JsonElement> CallAsync(HttpClient http, string method, object parameters, CancellationToken cancellationToken = default)
    {
        using var response = await http.PostAsJsonAsync("/rpc", new { jsonrpc = "2.0", method, @params = parameters, id = 1 }, cancellationToken);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken)).RootElement.Clone();
    }

    [Test]
    public async Task Sigkill_DuringConcurrentCreates_EveryAcknowledgedAccountSurvives()
    {
        var directory = Path.Combine(Path.GetTempPath(), "rpc-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var database = Path.Combine(directory, "rpc.db");
        var acknowledged = new ConcurrentBag<string>();
        try
        {
            await using (var server = await ServerProcess.StartAsync(database, Environment))
            {
                using var stop = new CancellationTokenSource();
                var workers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
                {
                    for (var i = 0; !stop.IsCancellationRequested; i++)
                    {
                        var username = $"crash{w}x{i}";
                        try
                        {
                            var reply = await CallAsync(server.Http, "users.create", new { username, password = Password }, stop.Token);
                            if (reply.TryGetProperty("result", out _))
                            {
                                acknowledged.Add(username);
                            }
                        }
                        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException or JsonException)
                        {
                            // In flight when the process died: not acknowledged, so nothing is promised.
                        }
                    }
                })).ToArray();

                var deadline = DateTime.UtcNow.AddSeconds(30);
                while (acknowledged.Count < 40 && DateTime.UtcNow < deadline)
                {
                    await Task.Delay(10);
                }

                await server.KillAsync();
                await stop.CancelAsync();
                await Task.WhenAll(workers);
            }

            TestContext.Out.WriteLine($"{acknowledged.Count} accounts acknowledged before SIGKILL");
            Assert.That(acknowledged, Has.Count.GreaterThanOrEqualTo(40));

            await using (var restarted = await ServerProcess.StartAsync(database, Environment))
            {
                foreach (var chunk in acknowledged.Chunk(8))
                {
                    var logins = await Task.WhenAll(chunk.Select(u => CallAsync(restarted.Http, "users.auth", new { username = u, password = Password })));
                    foreach (var (login, username) in logins.Zip(chunk))
                    {
                        Assert.That(login.TryGetProperty("result", out var result) && result.GetProperty("token").GetString()!.Length == 43, Is.True, $"{username} was acknowledged but cannot log in: {login}");
                    }
                }
            }

            await using var connection = new SqliteConnection($"Data Source={database};Pooling=False");
            Assert.That(await connection.ExecuteScalarAsync<string>("PRAGMA integrity_check"), Is.EqualTo("ok"));
            var count = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM users WHERE username LIKE 'crash%'");
            Assert.That(count, Is.GreaterThanOrEqualTo(acknowledged.Count));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }
}
