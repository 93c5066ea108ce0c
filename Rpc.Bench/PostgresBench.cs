using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Rpc.Server.Data;
using Rpc.Server.Security;

namespace Rpc.Bench;

/// <summary>
/// <c>./run.sh bench postgres</c>: the server on a throwaway PostgreSQL cluster (<c>scripts/postgres.sh</c>) with
/// the bench users copied in directly, beside the same server on SQLite with the same users. Rows:
/// <c>users.check</c> throughput with the answer cache off on both, its p99 at 1,000/s on PostgreSQL, and how
/// long an event published on one server takes to reach a gateway connection on another (the bus outbox, woken by NOTIFY).
/// </summary>
public static class PostgresBench
{
    private const string Password = "bench password 1";
    private const int EventRounds = 200;

    public static async Task<int> RunAsync(BenchSettings settings)
    {
        var total = Stopwatch.StartNew();
        var root = Directory.GetCurrentDirectory();
        var serverDll = Path.Combine(root, "Rpc.Server", "bin", "Release", "net10.0", "Rpc.Server.dll");
        var work = Path.Combine(Path.GetTempPath(), "rpc-bench-pg-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        var cluster = Path.Combine(work, "cluster");
        var duration = TimeSpan.FromSeconds(settings.Seconds);
        var table = new ResultTable();
        var notes = new List<string>();
        await ScriptAsync(root, "start", cluster);
        try
        {
            Console.WriteLine($"bench postgres: {Environment.ProcessorCount} cores, {settings.Users:N0} users, cluster in {cluster}");
            var hasher = new PasswordHasher(Options.Create(new PasswordOptions()));
            var phc = await hasher.HashAsync(Password, CancellationToken.None);
            var connectionString = await CreateDatabaseAsync($"Host={cluster};Username=postgres;Database=postgres", "bench");
            var load = Stopwatch.StartNew();
            await LoadAsync(connectionString, settings.Users, phc);
            notes.Add($"PostgreSQL 15 from scripts/postgres.sh (fsync off, Unix socket): {settings.Users:N0} users copied in with COPY, plus sessions of known tokens for user0 and user1 and a guild of the two, in {load.Elapsed.TotalSeconds:0.0} s.");
            var sqlite = Path.Combine(work, "users.db");
            await BenchDatabase.CreateAsync(sqlite, CancellationToken.None);
            BenchDatabase.AddUsers(sqlite, 0, settings.Users, phc);

            var environment = new Dictionary<string, string>(BenchRun.ServerEnvironment()) { ["Accounts__CheckCacheSeconds"] = "0" };
            string[] onPostgres = ["--port", "0", "--Database:Provider", "postgres", "--Database:ConnectionString", connectionString];
            await using var postgres = await ServerProcess.StartAsync(serverDll, onPostgres, environment);
            await using var reference = await ServerProcess.StartAsync(serverDll, ["--port", "0", "--db", sqlite], environment);
            byte[][] Checks(ServerProcess server) => Enumerable.Range(0, 1000).Select(i => RawHttpConnection.EncodePost(server.Endpoint, "/rpc",
                $$"""{"jsonrpc":"2.0","method":"users.check","params":["{{(i % 2 == 0 ? BenchDatabase.Username(i * 7919 % settings.Users) : "nobody" + i)}}"],"id":1}""")).ToArray();
            var onPg = Checks(postgres);
            var onSqlite = Checks(reference);
            Console.WriteLine("warming up both servers …");
            await LoadDriver.HttpClosedLoopAsync(postgres.Endpoint, onPg, 16, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1), postgres.Pid);
            await LoadDriver.HttpClosedLoopAsync(reference.Endpoint, onSqlite, 16, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1), reference.Pid);

            Console.WriteLine("users.check throughput …");
            var pgRounds = new List<LoadResult>();
            var sqliteRounds = new List<LoadResult>();
            var round = TimeSpan.FromSeconds(Math.Max(2, settings.Seconds / 2.0));
            for (var i = 0; i < 3; i++)
            {
                pgRounds.Add(await LoadDriver.HttpClosedLoopAsync(postgres.Endpoint, onPg, 64, TimeSpan.FromSeconds(1), round, postgres.Pid));
                sqliteRounds.Add(await LoadDriver.HttpClosedLoopAsync(reference.Endpoint, onSqlite, 64, TimeSpan.FromSeconds(1), round, reference.Pid));
            }

            var pg = LoadResult.Mean(pgRounds);
            var lite = LoadResult.Mean(sqliteRounds);
            table.Add(new BenchRow(
                "HTTP `users.check` on PostgreSQL, cache off, 1,000 names, 64 connections", "reference (no target): beside SQLite",
                pg.Describe(), lite.Describe() + " on SQLite", pg.RequestsPerSecond / lite.RequestsPerSecond, pg.Errors == 0,
                $"{pg.Cpu()} (the server; PostgreSQL's own processes not counted); {pg.Errors} errors"));

            Console.WriteLine("users.check latency …");
            var paced = await LoadDriver.HttpOpenLoopAsync(postgres.Endpoint, onPg, 16, 1000, TimeSpan.FromSeconds(1), duration, postgres.Pid);
            table.Add(new BenchRow(
                "`users.check` p99 on PostgreSQL (1,000/s, 16 connections, open loop, cache off)", "p99 < 2 ms (the SQLite scale row's target)",
                $"p99 {paced.P99Ms:0.00} ms, p50 {paced.P50Ms:0.00} ms", "SQLite: the scale rows of bench/results.md", paced.P99Ms / 2, paced.P99Ms < 2 && paced.Errors == 0, paced.Cpu()));

            Console.WriteLine("an event across servers …");
            await using var other = await ServerProcess.StartAsync(serverDll, onPostgres, environment);
            var latencies = await EventAcrossServersAsync(postgres, other);
            var p50 = Quantile(latencies, 0.5);
            var p99 = Quantile(latencies, 0.99);
            table.Add(new BenchRow(
                "USER_UPDATE from `users.update` on one server to a gateway connection on another (NOTIFY)", "p99 < 50 ms",
                $"p99 {p99:0.0} ms, p50 {p50:0.0} ms ({EventRounds} rounds, one at a time)", "one server: bench/gateway-results.md", p99 / 50, p99 < 50,
                "from just before the HTTP request is written to the frame's arrival; includes the update's write transaction"));
        }
        finally
        {
            await ScriptAsync(root, "stop", cluster);
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (IOException)
            {
            }
        }

        return await table.WriteReportAsync(
            "Benchmark results on PostgreSQL",
            $"`./run.sh bench postgres` on {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores ({Environment.OSVersion}, .NET {Environment.Version}); servers in Release as processes of their own on loopback, PostgreSQL on the same machine; whole run {total.Elapsed.TotalMinutes:0.0} min.",
            notes, settings.Output);
    }

    /// <summary>Runs <c>scripts/postgres.sh ACTION CLUSTER</c> (start or stop a throwaway PostgreSQL).</summary>
    internal static async Task ScriptAsync(string root, string action, string cluster)
    {
        using var process = Process.Start(new ProcessStartInfo(Path.Combine(root, "scripts", "postgres.sh"), [action, cluster]) { UseShellExecute = false })!;
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"scripts/postgres.sh {action} failed with exit code {process.ExitCode}");
        }
    }

    /// <summary>Creates database <paramref name="name"/> (C collation) on <paramref name="server"/>; returns its connection string.</summary>
    internal static async Task<string> CreateDatabaseAsync(string server, string name)
    {
        await using (var connection = new NpgsqlConnection(server))
        {
            await connection.OpenAsync();
            await connection.ExecuteAsync($"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'");
        }

        return new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
    }

    /// <summary>The server's migrations, then the bench users by COPY (as <see cref="BenchDatabase"/> inserts them), two sessions and a guild.</summary>
    private static async Task LoadAsync(string connectionString, int users, string passwordHash)
    {
        await using (var factory = new DbConnectionFactory(Options.Create(new DatabaseOptions { Provider = "postgres", ConnectionString = connectionString })))
        {
            await new MigrationRunner(factory, TimeProvider.System, Microsoft.Extensions.Options.Options.Create(new DatabaseOptions()), NullLogger<MigrationRunner>.Instance).ApplyAsync(CancellationToken.None);
        }

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await using (var copy = await connection.BeginBinaryImportAsync(
            "COPY users (id, username, username_key, username_claim, discriminator, display_name, flags, password_hash, created_at) FROM STDIN (FORMAT BINARY)"))
        {
            for (var i = 0; i < users; i++)
            {
                var name = BenchDatabase.Username(i);
                await copy.StartRowAsync();
                await copy.WriteAsync(i + 1L, NpgsqlDbType.Bigint);
                await copy.WriteAsync(name, NpgsqlDbType.Text);
                await copy.WriteAsync(name, NpgsqlDbType.Text);
                await copy.WriteAsync(name, NpgsqlDbType.Text);
                await copy.WriteAsync("0001", NpgsqlDbType.Text);
                await copy.WriteAsync(name, NpgsqlDbType.Text);
                await copy.WriteAsync(0L, NpgsqlDbType.Bigint);
                await copy.WriteAsync(passwordHash, NpgsqlDbType.Text);
                await copy.WriteAsync(now, NpgsqlDbType.Bigint);
            }

            await copy.CompleteAsync();
        }

        foreach (var i in new[] { 0, 1 })
        {
            await connection.ExecuteAsync("INSERT INTO sessions (id, user_id, token_hash, created_at, last_used_at) VALUES (@id, @id, @hash, @now, @now)",
                new { id = i + 1L, hash = TokenService.Hash(BenchFixtures.Token(i)), now });
        }

        await connection.ExecuteAsync("INSERT INTO guilds (id, name, owner_id, created_at) VALUES (1, 'bench guild', 1, 0)");
        await connection.ExecuteAsync("INSERT INTO guild_members (guild_id, user_id, joined_at) VALUES (1, 1, 0), (1, 2, 0)");
        await connection.ExecuteAsync("ANALYZE users");
    }

    /// <summary>
    /// user0 identifies on <paramref name="receiving"/>; user1, its guild mate, renames its display name on
    /// <paramref name="publishing"/> over HTTP, one round at a time; returns each round's milliseconds.
    /// </summary>
    private static async Task<List<double>> EventAcrossServersAsync(ServerProcess publishing, ServerProcess receiving)
    {
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(receiving.WebSocketUri, CancellationToken.None);
        await socket.SendAsync(Encoding.UTF8.GetBytes($$"""{"jsonrpc":"2.0","method":"users.identify","params":["{{BenchFixtures.Token(0)}}"],"id":1}"""), WebSocketMessageType.Text, true, CancellationToken.None);
        var buffer = new byte[64 * 1024];
        await ReceiveUntilAsync(socket, buffer, "\"id\":1");
        using var http = await RawHttpConnection.ConnectAsync(publishing.Endpoint);
        var latencies = new List<double>(EventRounds);
        for (var round = 0; round < EventRounds + 10; round++)
        {
            var marker = "round" + round.ToString(CultureInfo.InvariantCulture);
            var request = RawHttpConnection.EncodePost(publishing.Endpoint, "/rpc",
                $$"""{"jsonrpc":"2.0","method":"users.update","auth":"{{BenchFixtures.Token(1)}}","params":{"display_name":"{{marker}}"},"id":2}""");
            var started = Stopwatch.GetTimestamp();
            await http.SendAsync(request);
            if (http.Status != 200)
            {
                throw new InvalidOperationException($"users.update answered HTTP {http.Status}");
            }

            await ReceiveUntilAsync(socket, buffer, "\"display_name\":\"" + marker + "\"");
            if (round >= 10)
            {
                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }

        return latencies;
    }

    private static async Task ReceiveUntilAsync(ClientWebSocket socket, byte[] buffer, string marker)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            var length = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer.AsMemory(length), timeout.Token);
                length += result.Count;
            }
            while (!result.EndOfMessage);

            if (Encoding.UTF8.GetString(buffer, 0, length).Contains(marker, StringComparison.Ordinal))
            {
                return;
            }
        }
    }

    private static double Quantile(List<double> values, double quantile)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(sorted.Length * quantile) - 1)];
    }
}
