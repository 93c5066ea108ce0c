using System.Buffers.Text;
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

/// <summary>Command-line settings of <c>./run.sh bench cluster</c>, so that it can run smaller than the issue's sizes.</summary>
public sealed record ClusterSettings
{
    /// <summary>Gateway connections per server in the presence row (3 servers). <c>--per-server N</c>, default 3,000.</summary>
    public int PerServer { get; init; } = 3_000;

    /// <summary>Members of the large guild in the connect-storm row. <c>--members N</c>, default 10,000.</summary>
    public int Members { get; init; } = 10_000;

    /// <summary>Members of it that subscribe before the others identify. <c>--subscribers N</c>, default 1,000.</summary>
    public int Subscribers { get; init; } = 1_000;

    /// <summary>Identifies in flight at once in the connect-storm row (1: strictly one after another). <c>--identify-concurrency N</c>, default 1.</summary>
    public int IdentifyConcurrency { get; init; } = 1;

    /// <summary>Where the table is written. <c>--out PATH</c>.</summary>
    public string Output { get; init; } = Path.Combine("bench", "cluster-results.md");

    public static ClusterSettings Parse(string[] args)
    {
        var settings = new ClusterSettings();
        int Int(string value) => int.Parse(value, CultureInfo.InvariantCulture);
        for (var i = 0; i < args.Length; i++)
        {
            settings = args[i] switch
            {
                "--per-server" => settings with { PerServer = Int(args[++i]) },
                "--members" => settings with { Members = Int(args[++i]) },
                "--subscribers" => settings with { Subscribers = Int(args[++i]) },
                "--identify-concurrency" => settings with { IdentifyConcurrency = Int(args[++i]) },
                "--out" => settings with { Output = args[++i] },
                _ => throw new ArgumentException($"unknown argument {args[i]}; use --per-server N, --members N, --subscribers N, --identify-concurrency N, --out PATH"),
            };
        }

        return settings.Subscribers >= settings.Members || settings.PerServer < 1
            ? throw new ArgumentException("--subscribers must be below --members, and --per-server at least 1")
            : settings;
    }
}

/// <summary>
/// <c>./run.sh bench cluster</c> (issue #17): three server processes (Snowflake worker ids 1, 2, 3) on one
/// throwaway PostgreSQL (<c>scripts/postgres.sh</c>), the users, sessions of known tokens and two guilds copied in
/// directly. Row 1: 3 × N gateway connections, all members of one large guild and subscribed to it; a user's
/// <c>users.presence</c> on server 1 must reach every one of them on all three servers. Row 2, on three fresh servers:
/// a large guild of M members, S of them identified and subscribed; the other M − S identify one after another;
/// the fan-out of each one's ONLINE to the S subscribers, and how long the cluster takes to settle after the last
/// identify. Row 3: resident memory of each server. Everything runs on one machine, the driver included.
/// </summary>
public static class ClusterBench
{
    private const int Servers = 3;
    private const int PresenceRounds = 5;
    private const int ConnectConcurrency = 32;
    private const long StormGuild = 1;
    private const long PresenceGuild = 2;

    public static async Task<int> RunAsync(ClusterSettings settings)
    {
        var total = Stopwatch.StartNew();
        var root = Directory.GetCurrentDirectory();
        var serverDll = Path.Combine(root, "Rpc.Server", "bin", "Release", "net10.0", "Rpc.Server.dll");
        var work = Path.Combine(Path.GetTempPath(), "rpc-bench-cluster-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        var cluster = Path.Combine(work, "cluster");
        var table = new ResultTable();
        var notes = new List<string>();
        var loadBefore = LoadAverage();
        var (m, s, observers) = (settings.Members, settings.Subscribers, Servers * settings.PerServer);

        // Users 0..M-1: the connect-storm guild. Users M..M+3N-1: the presence row's observers, M+3N its publisher.
        var users = m + observers + 1;
        var publisher = m + observers;
        await PostgresBench.ScriptAsync(root, "start", cluster);
        try
        {
            Console.WriteLine($"bench cluster: {Environment.ProcessorCount} cores, {Servers} servers, {settings.PerServer:N0} connections each, a guild of {m:N0} with {s:N0} subscribers; load {loadBefore}");
            var connectionString = await PostgresBench.CreateDatabaseAsync($"Host={cluster};Username=postgres;Database=postgres", "bench");
            var load = Stopwatch.StartNew();
            await LoadAsync(connectionString, users, (StormGuild, 0, m), (PresenceGuild, m, publisher + 1));
            notes.Add($"PostgreSQL 15 from scripts/postgres.sh (fsync off, Unix socket), shared by the servers: {users:N0} users with a session of known token each, a guild of {m:N0} (users 0…{m - 1}) and one of {observers + 1:N0} (the presence row's observers and publisher), copied in with COPY in {load.Elapsed.TotalSeconds:0.0} s. `Gateway:LargeThreshold` is the default 250: both guilds are large.");

            // Row 1: presence across servers to 3 × N subscribed observers.
            var (presence, presenceRss) = await PresenceRowAsync(serverDll, connectionString, settings, m, publisher, notes);
            table.Add(presence);

            // Row 2: the connect storm, on fresh servers.
            var (fanOut, settle, stormRss) = await StormRowAsync(serverDll, connectionString, settings, notes);
            table.Add(fanOut);
            table.Add(settle);

            foreach (var (label, rss) in new[] { ($"{observers:N0} connections ({settings.PerServer:N0} per server), presence row", presenceRss), ($"{m:N0} connections, connect-storm row", stormRss) })
            {
                var worst = rss.Max(r => r.Rss);
                table.Add(new BenchRow(
                    $"Server resident memory, {label}", "reference (issue #5: < 1.5 GiB for 10,000 on one server)",
                    $"{worst:0} MiB (largest)", string.Join("; ", rss.Select((r, i) => $"server {i + 1}: {r.Rss:0} MiB with {r.Connections:N0} connections, peak {r.Peak:0} MiB")),
                    worst / 1536, worst < 1536, "VmRSS of each server process at the end of the row"));
            }
        }
        finally
        {
            await PostgresBench.ScriptAsync(root, "stop", cluster);
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (IOException)
            {
            }
        }

        notes.Add($"Machine load average (1 min): {loadBefore} at the start, {LoadAverage()} at the end; 2 shared cores run the three servers, PostgreSQL and the driver (which holds every WebSocket), so the times include waiting for a core. Whole run {total.Elapsed.TotalMinutes:0.0} min.");
        return await table.WriteReportAsync(
            "Cluster benchmark results",
            string.Create(CultureInfo.InvariantCulture, $"`./run.sh bench cluster --per-server {settings.PerServer} --members {m} --subscribers {s} --identify-concurrency {settings.IdentifyConcurrency}` on {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores ({Environment.OSVersion}, .NET {Environment.Version}); three servers in Release as processes of their own on loopback, one PostgreSQL, all on this machine."),
            notes, Path.Combine(root, settings.Output));
    }

    private static async Task<(BenchRow Row, List<(double Rss, double Peak, int Connections)> Rss)> PresenceRowAsync(string serverDll, string connectionString, ClusterSettings settings, int first, int publisher, List<string> notes)
    {
        var count = Servers * settings.PerServer;
        var servers = await StartServersAsync(serverDll, connectionString, count);
        var sockets = new ClientWebSocket?[count];
        try
        {
            Console.WriteLine($"presence row: identifying {count:N0} connections, then subscribing them …");
            var receivers = new RoundReceivers(count);
            var connect = Stopwatch.StartNew();
            // All identify first, then all subscribe: subscribing each right after its identify sent every later
            // identify's ONLINE to every connection already subscribed (n²/2 frames, 40 million at 9,000), setup
            // work that has nothing to do with the row.
            await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = ConnectConcurrency }, async (i, ct) =>
            {
                sockets[i] = await IdentifyAsync(servers[i % Servers].WebSocketUri, BenchFixtures.Token(first + i), null, ct);
                _ = receivers.ReceiveLoopAsync(sockets[i]!, i);
            });
            var identified = connect.Elapsed.TotalSeconds;
            // Each server's gateway works through the ONLINEs of the identifies (a presence audience read each) after
            // the replies went out: a subscription made before it is done would receive the rest of them.
            await WaitForQuietAsync(servers, TimeSpan.FromSeconds(300));
            var drained = connect.Elapsed.TotalSeconds;
            var subscribe = Encoding.UTF8.GetBytes($$"""{"jsonrpc":"2.0","method":"gateway.guildSubscribe","params":{"guild_id":"{{PresenceGuild}}"},"id":2}""");
            await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = ConnectConcurrency }, async (i, ct) =>
                await sockets[i]!.SendAsync(subscribe, WebSocketMessageType.Text, true, ct));
            if (!await receivers.WaitSubscribedAsync(TimeSpan.FromSeconds(120)))
            {
                throw new InvalidOperationException($"only {receivers.Subscribed:N0} of {count:N0} subscriptions were answered with true within 120 s");
            }

            notes.Add($"Presence row: {count:N0} connections identified in {identified:0.0} s ({ConnectConcurrency} at a time; connection i on server i mod 3), the servers quiet again {drained - identified:0.0} s later, then all subscribed in {connect.Elapsed.TotalSeconds - drained:0.0} s. One warm-up round (a change to every observer, not counted) runs first, so that round 1 does not measure the JIT's first pass over the fan-out path.");
            await WaitForQuietAsync(servers, TimeSpan.FromSeconds(120));

            var histogram = new LatencyHistogram();
            var rounds = new List<string>();
            using var http = await RawHttpConnection.ConnectAsync(servers[0].Endpoint);
            for (var round = -1; round < PresenceRounds; round++)
            {
                var status = round % 2 == 0 ? "DND" : "IDLE";
                receivers.Expect(Encoding.UTF8.GetBytes($"\"status\":\"{status}\""));
                var request = RawHttpConnection.EncodePost(servers[0].Endpoint, "/rpc",
                    $$"""{"jsonrpc":"2.0","method":"users.presence","auth":"{{BenchFixtures.Token(publisher)}}","params":{"status":"{{status}}"},"id":1}""");
                var start = Stopwatch.GetTimestamp();
                receivers.Start(start);
                await http.SendAsync(request);
                await receivers.WaitAllAsync(TimeSpan.FromSeconds(30));
                var (p99, last, received) = receivers.Record(round < 0 ? new LatencyHistogram() : histogram);
                if (round >= 0)
                {
                    rounds.Add($"{received:N0} received, p99 {p99:0} ms, last {last:0} ms");
                }

                Console.WriteLine($"  round {(round < 0 ? "warm-up" : (round + 1).ToString(CultureInfo.InvariantCulture))}: {received:N0} received, p99 {p99:0} ms, last {last:0} ms");
                await WaitForQuietAsync(servers, TimeSpan.FromSeconds(30));
                await Task.Delay(1100); // past Gateway:PresenceCoalesceWindow, so the next change goes out at once
            }

            var allP99 = histogram.QuantileMs(0.99);
            var expected = (long)count * PresenceRounds;
            var row = new BenchRow(
                $"PRESENCE_UPDATE from `users.presence` on server 1 to all {count:N0} observers on 3 servers (subscribed to a large guild)", "p99 < 100 ms",
                $"p99 {allP99:0.0} ms, p50 {histogram.QuantileMs(0.5):0.0} ms", $"{histogram.Count:N0} of {expected:N0} deliveries", allP99 / 100,
                allP99 < 100 && histogram.Count == expected,
                $"every (round, observer) pair of {PresenceRounds} rounds after a warm-up round, from just before the HTTP request is written to the frame's arrival; servers 2 and 3 get the event through NOTIFY. Rounds: {string.Join("; ", rounds)}");
            return (row, servers.Select((server, i) => (server.RssMiB, server.PeakRssMiB, count / Servers)).ToList());
        }
        finally
        {
            Close(sockets);
            foreach (var server in servers)
            {
                await server.DisposeAsync();
            }
        }
    }

    private static async Task<(BenchRow FanOut, BenchRow Settle, List<(double Rss, double Peak, int Connections)> Rss)> StormRowAsync(string serverDll, string connectionString, ClusterSettings settings, List<string> notes)
    {
        var (m, s) = (settings.Members, settings.Subscribers);
        var servers = await StartServersAsync(serverDll, connectionString, m);
        var sockets = new ClientWebSocket?[m];
        try
        {
            Console.WriteLine($"connect-storm row: {s:N0} subscribers …");
            var storm = new StormReceivers(m, s);
            await Parallel.ForEachAsync(Enumerable.Range(0, s), new ParallelOptions { MaxDegreeOfParallelism = ConnectConcurrency }, async (i, ct) =>
            {
                sockets[i] = await IdentifyAsync(servers[i % Servers].WebSocketUri, BenchFixtures.Token(i), StormGuild, ct);
                _ = storm.ReceiveLoopAsync(sockets[i]!, subscriber: true);
            });
            await WaitForQuietAsync(servers, TimeSpan.FromSeconds(120));
            storm.Reset();

            Console.WriteLine($"{m - s:N0} members identify, {settings.IdentifyConcurrency} at a time …");
            var cpu = servers.Select(server => new CpuMeter(server.Pid)).ToArray();
            var identify = Stopwatch.StartNew();
            await Parallel.ForEachAsync(Enumerable.Range(s, m - s), new ParallelOptions { MaxDegreeOfParallelism = settings.IdentifyConcurrency }, async (i, ct) =>
            {
                storm.Sent(i);
                sockets[i] = await IdentifyAsync(servers[i % Servers].WebSocketUri, BenchFixtures.Token(i), null, ct);
                _ = storm.ReceiveLoopAsync(sockets[i]!, subscriber: false);
            });
            var lastIdentify = Stopwatch.GetTimestamp();
            var identifySeconds = identify.Elapsed.TotalSeconds;
            var serverCores = cpu.Sum(c => c.Cores().Server);
            var sampling = SampleCpuAsync(servers, SettleWatch);
            var delivered = await storm.WaitAllAsync(TimeSpan.FromSeconds(120));
            var deliveredAfter = Stopwatch.GetElapsedTime(lastIdentify).TotalSeconds;
            var samples = await sampling;
            var (idleAfter, floors) = SettledAfter(samples);
            var settled = Math.Max(deliveredAfter, idleAfter);
            var expected = (long)s * (m - s);
            notes.Add($"Connect-storm row: {s:N0} members (0…{s - 1}) identified and subscribed first, connection i on server i mod 3; then the other {m - s:N0} identified {settings.IdentifyConcurrency} at a time in {identifySeconds:0.0} s ({(m - s) / identifySeconds:N0}/s; the servers used {serverCores:0.00} cores together meanwhile). Each stays connected. Each identify sends its ONLINE to the {s:N0} subscribers only: {expected:N0} frames, where every member getting every arrival would be about {(long)m * m / 2:N0}.");

            var p99 = storm.Latencies.QuantileMs(0.99);
            var fanOut = new BenchRow(
                $"ONLINE of each of {m - s:N0} members identifying one after another reaches the {s:N0} subscribers", "p99 < 200 ms",
                $"p99 {p99:0.0} ms, p50 {storm.Latencies.QuantileMs(0.5):0.0} ms", $"{storm.Latencies.Count:N0} of {expected:N0} deliveries", p99 / 200,
                p99 < 200 && storm.Latencies.Count == expected,
                "every (member, subscriber) pair, from just before the member's `users.identify` is written (so it includes the token check) to the PRESENCE_UPDATE's arrival at the subscriber, on whichever server each is");
            var settle = new BenchRow(
                $"Cluster settles after the last of {m - s:N0} identifies", "< 10 s",
                $"{settled:0.0} s", $"last delivery {deliveredAfter:0.0} s, servers back at their idle level (each within 5% of a core of it) {idleAfter:0.0} s after the last identify", settled / 10,
                settled < 10 && delivered,
                (delivered ? "every expected frame arrived" : "not every expected frame arrived within 120 s")
                + $". Each server's CPU sampled every {CpuSample.TotalSeconds:0.0} s for {SettleWatch.TotalSeconds:0} s after the last identify and compared over each second; its idle level is the median of the last {IdleTail.TotalSeconds:0} s: "
                + string.Join(", ", floors.Select((f, i) => $"server {i + 1} {f * 100:0.0}% of a core"))
                + $" with {(m + Servers - 1) / Servers:N0} connections (their WebSocket keep-alive pings: 1,500 idle connections cost a server about 4.7% of a core with pings, 1.3% without, measured apart). Per-second samples of the busiest server: {string.Join(" ", BusiestSeries(samples))}");
            return (fanOut, settle, servers.Select((server, i) => (server.RssMiB, server.PeakRssMiB, (m + Servers - 1 - i) / Servers)).ToList());
        }
        finally
        {
            Close(sockets);
            foreach (var server in servers)
            {
                await server.DisposeAsync();
            }
        }
    }

    private static async Task<ServerProcess[]> StartServersAsync(string serverDll, string connectionString, int connections)
    {
        var limit = (2 * connections).ToString(CultureInfo.InvariantCulture);
        var pooled = new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = 60 }.ConnectionString;
        var servers = new ServerProcess[Servers];
        for (var i = 0; i < Servers; i++)
        {
            servers[i] = await ServerProcess.StartAsync(serverDll,
                ["--port", "0", "--Database:Provider", "postgres", "--Database:ConnectionString", pooled, "--Snowflake:WorkerId=" + (i + 1).ToString(CultureInfo.InvariantCulture),
                 "--Connections:MaxWebSockets=" + limit, "--Connections:MaxWebSocketsPerAddress=" + limit, "--Connections:MaxConnections=" + limit,
                 "--Connections:MaxConnectionsPerAddress=" + limit, "--Gateway:MaxQueuedReplyBytesPerAddress=" + (64 << 20).ToString(CultureInfo.InvariantCulture),
                 "--RateLimits:PresencePerUser:Burst=100000"],
                BenchRun.ServerEnvironment());
        }

        return servers;
    }

    /// <summary>Users 0…<paramref name="users"/>−1 (as <see cref="BenchDatabase"/> names them) with a session of token <see cref="BenchFixtures.Token"/>(i) each, and the guilds (id, first member, end).</summary>
    private static async Task LoadAsync(string connectionString, int users, params (long Id, int From, int To)[] guilds)
    {
        await using (var factory = new DbConnectionFactory(Options.Create(new DatabaseOptions { Provider = "postgres", ConnectionString = connectionString })))
        {
            await new MigrationRunner(factory, TimeProvider.System, Options.Create(new DatabaseOptions()), NullLogger<MigrationRunner>.Instance).ApplyAsync(CancellationToken.None);
        }

        var hasher = new PasswordHasher(Options.Create(new PasswordOptions()));
        var phc = await hasher.HashAsync("bench password 1", CancellationToken.None);
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
                await copy.WriteAsync(phc, NpgsqlDbType.Text);
                await copy.WriteAsync(now, NpgsqlDbType.Bigint);
            }

            await copy.CompleteAsync();
        }

        await using (var copy = await connection.BeginBinaryImportAsync("COPY sessions (id, user_id, token_hash, created_at, last_used_at) FROM STDIN (FORMAT BINARY)"))
        {
            for (var i = 0; i < users; i++)
            {
                await copy.StartRowAsync();
                await copy.WriteAsync(i + 1L, NpgsqlDbType.Bigint);
                await copy.WriteAsync(i + 1L, NpgsqlDbType.Bigint);
                await copy.WriteAsync(TokenService.Hash(BenchFixtures.Token(i)), NpgsqlDbType.Text);
                await copy.WriteAsync(now, NpgsqlDbType.Bigint);
                await copy.WriteAsync(now, NpgsqlDbType.Bigint);
            }

            await copy.CompleteAsync();
        }

        foreach (var (id, from, to) in guilds)
        {
            await connection.ExecuteAsync("INSERT INTO guilds (id, name, owner_id, created_at) VALUES (@id, 'bench guild', @owner, 0)", new { id, owner = from + 1L });
            await using var copy = await connection.BeginBinaryImportAsync("COPY guild_members (guild_id, user_id, joined_at) FROM STDIN (FORMAT BINARY)");
            for (var i = from; i < to; i++)
            {
                await copy.StartRowAsync();
                await copy.WriteAsync(id, NpgsqlDbType.Bigint);
                await copy.WriteAsync(i + 1L, NpgsqlDbType.Bigint);
                await copy.WriteAsync(now, NpgsqlDbType.Bigint);
            }

            await copy.CompleteAsync();
        }

        // Named tables: Dapper takes a command without whitespace for a stored procedure (CALL ANALYZE).
        await connection.ExecuteAsync("ANALYZE users, sessions, guilds, guild_members");
    }

    /// <summary>Connects, identifies (reading up to the reply; READY comes before it) and, with a guild, subscribes to it.</summary>
    private static async Task<ClientWebSocket> IdentifyAsync(Uri uri, string token, long? subscribe, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        await socket.ConnectAsync(uri, cancellationToken).ConfigureAwait(false);
        await CallAsync(socket, $$"""{"jsonrpc":"2.0","method":"users.identify","params":{"token":"{{token}}"},"id":1}""", "\"id\":1", cancellationToken).ConfigureAwait(false);
        if (subscribe is { } guildId)
        {
            await CallAsync(socket, $$"""{"jsonrpc":"2.0","method":"gateway.guildSubscribe","params":{"guild_id":"{{guildId}}"},"id":2}""", "\"id\":2", cancellationToken).ConfigureAwait(false);
        }

        return socket;
    }

    private static async Task CallAsync(ClientWebSocket socket, string request, string replyMarker, CancellationToken cancellationToken)
    {
        await socket.SendAsync(Encoding.UTF8.GetBytes(request), WebSocketMessageType.Text, true, cancellationToken).ConfigureAwait(false);
        var marker = Encoding.UTF8.GetBytes(replyMarker);
        var buffer = new byte[16 * 1024];
        var scratch = new byte[16 * 1024];
        while (true)
        {
            // Only a message's first 16 KiB are kept: a reply is short, READY can be long.
            var result = await socket.ReceiveAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false);
            var length = result.Count;
            while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close)
            {
                result = length < buffer.Length
                    ? await socket.ReceiveAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false)
                    : await socket.ReceiveAsync(scratch.AsMemory(), cancellationToken).ConfigureAwait(false);
                length = Math.Min(buffer.Length, length + result.Count);
            }

            if (result.MessageType == WebSocketMessageType.Close)
            {
                throw new InvalidOperationException($"the server closed a connection: {socket.CloseStatus} {socket.CloseStatusDescription}");
            }

            var message = buffer.AsSpan(0, length);
            if (message.IndexOf(marker) >= 0 && message.IndexOf("\"jsonrpc\""u8) >= 0 && message.IndexOf("gateway.event"u8) < 0)
            {
                if (message.IndexOf("\"result\""u8) < 0)
                {
                    throw new InvalidOperationException("call failed: " + Encoding.UTF8.GetString(message));
                }

                return;
            }
        }
    }

    private static void Close(ClientWebSocket?[] sockets)
    {
        foreach (var socket in sockets)
        {
            socket?.Abort();
            socket?.Dispose();
        }
    }

    private static readonly TimeSpan CpuSample = TimeSpan.FromSeconds(0.5);
    private static readonly TimeSpan SettleWatch = TimeSpan.FromSeconds(40);
    private static readonly TimeSpan IdleTail = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Waits until every server's CPU is steady (over the last three seconds, its one-second samples within 3% of a
    /// core of each other and under a quarter of a core) or the timeout passes. Steady, not under a fixed figure:
    /// a server holding thousands of WebSockets never idles below its keep-alive pings (about 3% of a core per 1,000).
    /// </summary>
    private static async Task WaitForQuietAsync(ServerProcess[] servers, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        var history = servers.Select(_ => new List<double>()).ToArray();
        while (watch.Elapsed < timeout)
        {
            var before = servers.Select(server => ProcessStats.CpuSeconds(server.Pid)).ToArray();
            var start = Stopwatch.GetTimestamp();
            await Task.Delay(1000);
            var wall = Stopwatch.GetElapsedTime(start).TotalSeconds;
            for (var i = 0; i < servers.Length; i++)
            {
                history[i].Add((ProcessStats.CpuSeconds(servers[i].Pid) - before[i]) / wall);
            }

            if (history.All(h => h.Count >= 3 && h.TakeLast(3).Max() - h.TakeLast(3).Min() < 0.03 && h.TakeLast(3).Max() < 0.25))
            {
                return;
            }
        }
    }

    /// <summary>Each server's CPU (in cores) over every <see cref="CpuSample"/> for <paramref name="duration"/>.</summary>
    private static async Task<double[][]> SampleCpuAsync(ServerProcess[] servers, TimeSpan duration)
    {
        var samples = servers.Select(_ => new List<double>()).ToArray();
        var watch = Stopwatch.StartNew();
        var before = servers.Select(server => ProcessStats.CpuSeconds(server.Pid)).ToArray();
        var last = Stopwatch.GetTimestamp();
        while (watch.Elapsed < duration)
        {
            await Task.Delay(CpuSample);
            var now = Stopwatch.GetTimestamp();
            var wall = Stopwatch.GetElapsedTime(last, now).TotalSeconds;
            last = now;
            for (var i = 0; i < servers.Length; i++)
            {
                var cpu = ProcessStats.CpuSeconds(servers[i].Pid);
                samples[i].Add((cpu - before[i]) / wall);
                before[i] = cpu;
            }
        }

        return samples.Select(s => s.ToArray()).ToArray();
    }

    /// <summary>
    /// When the servers were back at their idle level: the end of the last second in which any server was more than
    /// 5% of a core above its own idle level (the median of its samples over the last <see cref="IdleTail"/>).
    /// </summary>
    private static (double Seconds, double[] Floors) SettledAfter(double[][] samples)
    {
        var tail = (int)(IdleTail / CpuSample);
        var floors = samples.Select(s => s.TakeLast(tail).Order().ElementAt(Math.Min(s.Length, tail) / 2)).ToArray();
        var lastBusy = -1;
        for (var i = 0; i < samples.Length; i++)
        {
            // Over a second (two samples, sliding): a single half-second sample catches scheduling noise.
            for (var k = 0; k + 1 < samples[i].Length; k++)
            {
                if ((samples[i][k] + samples[i][k + 1]) / 2 > floors[i] + 0.05)
                {
                    lastBusy = Math.Max(lastBusy, k + 1);
                }
            }
        }

        return ((lastBusy + 1) * CpuSample.TotalSeconds, floors);
    }

    /// <summary>The busiest server's samples as percentages of a core, one per second (two samples averaged).</summary>
    private static IEnumerable<string> BusiestSeries(double[][] samples)
    {
        var busiest = samples.OrderByDescending(s => s.Sum()).First();
        for (var k = 0; k + 1 < busiest.Length; k += 2)
        {
            yield return ((busiest[k] + busiest[k + 1]) * 50).ToString("0", CultureInfo.InvariantCulture);
        }
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "unknown";

    /// <summary>The first 512 bytes of each message a socket receives, handed to <paramref name="onMessage"/> with its arrival time.</summary>
    private static async Task ReadMessagesAsync(ClientWebSocket socket, Action<ReadOnlyMemory<byte>, long> onMessage)
    {
        var buffer = new byte[512];
        var rest = new byte[4096];
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                onMessage(buffer.AsMemory(0, result.Count), Stopwatch.GetTimestamp());
                while (!result.EndOfMessage)
                {
                    result = await socket.ReceiveAsync(rest.AsMemory(), CancellationToken.None).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    /// <summary>The presence row's receivers: arrival of the current round's status at each.</summary>
    private sealed class RoundReceivers(int count)
    {
        private readonly long[] arrivals = new long[count];
        private byte[] marker = [];
        private long start;
        private int received;
        private TaskCompletionSource all = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Expect(byte[] statusMarker)
        {
            Array.Clear(arrivals);
            Volatile.Write(ref received, 0);
            all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref marker, statusMarker);
        }

        public void Start(long timestamp) => Volatile.Write(ref start, timestamp);

        public async Task WaitAllAsync(TimeSpan timeout)
        {
            try
            {
                await all.Task.WaitAsync(timeout).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
            }
        }

        /// <summary>Adds the round's latencies to <paramref name="histogram"/>; returns its p99, last arrival (ms) and count.</summary>
        public (double P99, double Last, int Received) Record(LatencyHistogram histogram)
        {
            var round = new LatencyHistogram();
            var times = arrivals.Where(t => t != 0).ToArray();
            foreach (var t in times)
            {
                // The histogram counts TimeSpan ticks (100 ns); timestamps are Stopwatch ticks (1 ns on Linux).
                histogram.Record(Stopwatch.GetElapsedTime(start, t).Ticks);
                round.Record(Stopwatch.GetElapsedTime(start, t).Ticks);
            }

            return (round.QuantileMs(0.99), times.Length == 0 ? double.NaN : (times.Max() - start) * 1000.0 / Stopwatch.Frequency, times.Length);
        }

        private readonly TaskCompletionSource allSubscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int subscribed;

        /// <summary>How many <c>gateway.guildSubscribe</c> calls (id 2) were answered with true.</summary>
        public int Subscribed => Volatile.Read(ref subscribed);

        public async Task<bool> WaitSubscribedAsync(TimeSpan timeout)
        {
            try
            {
                await allSubscribed.Task.WaitAsync(timeout).ConfigureAwait(false);
                return true;
            }
            catch (TimeoutException)
            {
                return false;
            }
        }

        public Task ReceiveLoopAsync(ClientWebSocket socket, int index) => ReadMessagesAsync(socket, (message, now) =>
        {
            var span = message.Span;
            if (span.IndexOf("\"id\":2"u8) >= 0 && span.IndexOf("\"result\":true"u8) >= 0 && span.IndexOf("gateway.event"u8) < 0)
            {
                if (Interlocked.Increment(ref subscribed) == arrivals.Length)
                {
                    allSubscribed.TrySetResult();
                }
            }
            else if (span.IndexOf("PRESENCE_UPDATE"u8) >= 0 && span.IndexOf(Volatile.Read(ref marker)) >= 0 && arrivals[index] == 0)
            {
                arrivals[index] = now;
                if (Interlocked.Increment(ref received) == arrivals.Length)
                {
                    all.TrySetResult();
                }
            }
        });
    }

    /// <summary>The connect-storm row: when each member's identify was sent, and each ONLINE's arrival at each subscriber.</summary>
    private sealed class StormReceivers(int members, int subscribers)
    {
        private readonly long[] sent = new long[members];
        private readonly long expected = (long)subscribers * (members - subscribers);
        private long received;
        private TaskCompletionSource all = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public LatencyHistogram Latencies { get; private set; } = new();

        /// <summary>Forgets what the subscribers' own identifies brought.</summary>
        public void Reset()
        {
            Latencies = new LatencyHistogram();
            Volatile.Write(ref received, 0);
            all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        public void Sent(int member) => Volatile.Write(ref sent[member], Stopwatch.GetTimestamp());

        /// <summary>Waits until every expected frame arrived; false on timeout.</summary>
        public async Task<bool> WaitAllAsync(TimeSpan timeout)
        {
            if (Interlocked.Read(ref received) >= expected)
            {
                return true;
            }

            try
            {
                await all.Task.WaitAsync(timeout).ConfigureAwait(false);
                return true;
            }
            catch (TimeoutException)
            {
                return false;
            }
        }

        public Task ReceiveLoopAsync(ClientWebSocket socket, bool subscriber) => ReadMessagesAsync(socket, (message, now) =>
        {
            if (!subscriber)
            {
                return;
            }

            var span = message.Span;
            var at = span.IndexOf("\"user_id\":\""u8);
            if (at < 0 || span.IndexOf("PRESENCE_UPDATE"u8) < 0 || span.IndexOf("\"status\":\"ONLINE\""u8) < 0)
            {
                return;
            }

            var digits = span[(at + 11)..];
            var end = digits.IndexOf((byte)'"');
            if (end < 0 || !Utf8Parser.TryParse(digits[..end], out long userId, out _))
            {
                return;
            }

            var member = (int)(userId - 1);
            if (member < subscribers || member >= members || Volatile.Read(ref sent[member]) == 0)
            {
                return;
            }

            Latencies.Record(Stopwatch.GetElapsedTime(sent[member], now).Ticks);
            if (Interlocked.Increment(ref received) == expected)
            {
                all.TrySetResult();
            }
        });
    }
}
