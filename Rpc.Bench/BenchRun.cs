using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.Extensions.Options;
using Rpc.Server.Security;

namespace Rpc.Bench;

/// <summary>
/// The whole benchmark: builds the databases, starts the server and the ceiling server as processes
/// of their own on loopback, measures each row beside its ceiling and writes the table.
/// </summary>
public static class BenchRun
{
    private const string Password = "bench password 1";
    private static readonly TimeSpan Warmup = TimeSpan.FromSeconds(1);

    public static async Task<int> RunAsync(BenchSettings settings)
    {
        var total = Stopwatch.StartNew();
        var root = Directory.GetCurrentDirectory();
        var serverDll = Path.Combine(root, "Rpc.Server", "bin", "Release", "net10.0", "Rpc.Server.dll");
        var benchDll = typeof(BenchRun).Assembly.Location;
        var work = Path.Combine(Path.GetTempPath(), "rpc-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        var duration = TimeSpan.FromSeconds(settings.Seconds);
        var table = new ResultTable();
        var notes = new List<string>();
        try
        {
            Console.WriteLine($"bench: {Environment.ProcessorCount} cores, {settings.Users:N0} users, {settings.Seconds} s per measurement, work dir {work}");
            var hasher = new PasswordHasher(Options.Create(new PasswordOptions()));
            var options = new PasswordOptions();
            var phc = await hasher.HashAsync(Password, CancellationToken.None);

            var db = Path.Combine(work, "users.db");
            await BenchDatabase.CreateAsync(db, CancellationToken.None);
            var loaded = BenchDatabase.AddUsers(db, 0, settings.Users, phc);
            BenchFixtures.AddSessions(db, 0, 64);
            notes.Add($"Loaded {settings.Users:N0} users in {loaded.TotalSeconds:0.0} s (direct batched inserts, one shared Argon2id hash).");
            var pristine = Path.Combine(work, "pristine.db");
            File.Copy(db, pristine);
            Console.WriteLine(notes[^1]);

            var environment = ServerEnvironment();
            double idleRss;
            await using (var server = await ServerProcess.StartAsync(serverDll, ["--port", "0", "--db", db], environment))
            {
                var existing = Check(server.Endpoint, BenchDatabase.Username(settings.Users / 2), 1);
                var missing = Check(server.Endpoint, "nobody-" + settings.Users, 1);
                var replyTrue = await FetchAsync(server.Endpoint, existing);
                var replyFalse = await FetchAsync(server.Endpoint, missing);
                await Task.Delay(1000);
                idleRss = server.RssMiB;

                await using var ceiling = await ServerProcess.StartAsync(benchDll, ["ceiling", "--reply", Convert.ToBase64String(replyTrue)]);
                var ceilingExisting = Check(ceiling.Endpoint, BenchDatabase.Username(settings.Users / 2), 1);

                // Tiered JIT needs a few seconds of traffic before either server runs its final code; on a
                // busy 2-core machine a short warm-up leaves the first row measuring the JIT instead.
                Console.WriteLine("warming up both servers …");
                var warmBatch = RawHttpConnection.EncodePost(server.Endpoint, "/rpc", "[" + string.Join(",", Enumerable.Range(0, 10).Select(i =>
                    $$"""{"jsonrpc":"2.0","method":"users.check","params":["user{{i}}"],"id":{{i}}}""")) + "]");
                await LoadDriver.HttpClosedLoopAsync(server.Endpoint, [existing, missing, warmBatch], 16, TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(1), server.Pid);
                await LoadDriver.WebSocketClosedLoopAsync(server.WebSocketUri, id => $$"""{"jsonrpc":"2.0","method":"users.check","params":["user1"],"id":{{id}}}""", 4, 8, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1), server.Pid);
                await LoadDriver.HttpClosedLoopAsync(ceiling.Endpoint, [ceilingExisting], 16, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1), ceiling.Pid);
                await LoadDriver.WebSocketClosedLoopAsync(ceiling.WebSocketUri, id => $$"""{"id":{{id}}}""", 4, 8, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1), ceiling.Pid);

                // (a) HTTP users.check, existing and missing name, 64 keep-alive connections (rows c and e use its figures).
                Console.WriteLine("(a) HTTP users.check …");
                var (httpExisting, ceilingHttp) = await InterleavedAsync(
                    round => LoadDriver.HttpClosedLoopAsync(server.Endpoint, [existing], 64, Warmup, round, server.Pid, body => body.Span.SequenceEqual(replyTrue)),
                    round => LoadDriver.HttpClosedLoopAsync(ceiling.Endpoint, [ceilingExisting], 64, Warmup, round, ceiling.Pid), duration);
                table.Add(ThroughputRow("HTTP `users.check` (existing name), 64 connections", httpExisting, ceilingHttp, 0.5));
                var (httpMissing, ceilingHttp2) = await InterleavedAsync(
                    round => LoadDriver.HttpClosedLoopAsync(server.Endpoint, [missing], 64, Warmup, round, server.Pid, body => body.Span.SequenceEqual(replyFalse)),
                    round => LoadDriver.HttpClosedLoopAsync(ceiling.Endpoint, [ceilingExisting], 64, Warmup, round, ceiling.Pid), duration);
                table.Add(ThroughputRow("HTTP `users.check` (missing name), 64 connections", httpMissing, ceilingHttp2, 0.5));
                table.Add(new BenchRow(
                    "HTTP `users.check` server CPU per call", "<= 1.15x bare Kestrel's",
                    $"{MicrosPerCall(httpExisting):0.0} µs/call", $"{MicrosPerCall(ceilingHttp):0.0} µs/call bare Kestrel (same rounds)",
                    MicrosPerCall(httpExisting) / MicrosPerCall(ceilingHttp), MicrosPerCall(httpExisting) <= 1.15 * MicrosPerCall(ceilingHttp),
                    "server CPU time (/proc) over calls answered, existing-name row"));

                // (a') users.self with a Bearer token: an authenticated call beside the anonymous one, alternating rounds.
                Console.WriteLine("(a') HTTP users.self …");
                var selves = Enumerable.Range(0, 64).Select(i => RawHttpConnection.EncodePost(server.Endpoint, "/rpc",
                    """{"jsonrpc":"2.0","method":"users.self","id":1}""", BenchFixtures.Token(i))).ToArray();
                var (self, checkBeside) = await InterleavedAsync(
                    round => LoadDriver.HttpClosedLoopAsync(server.Endpoint, selves, 64, Warmup, round, server.Pid, body => body.Span.IndexOf("\"result\""u8) >= 0),
                    round => LoadDriver.HttpClosedLoopAsync(server.Endpoint, [existing], 64, Warmup, round, server.Pid, body => body.Span.SequenceEqual(replyTrue)), duration);
                table.Add(new BenchRow(
                    "HTTP `users.self` (Bearer token, 64 sessions), 64 connections", ">= 80 % of HTTP `users.check`",
                    self.Describe(), checkBeside.Describe() + " `users.check`, same rounds", self.RequestsPerSecond / checkBeside.RequestsPerSecond,
                    self.RequestsPerSecond >= 0.8 * checkBeside.RequestsPerSecond && self.Errors == 0,
                    $"{MicrosPerCall(self):0.0} µs/call vs {MicrosPerCall(checkBeside):0.0} µs/call; {self.Cpu()}; {self.Errors} errors"));

                if (settings.Runs('b'))
                {
                    // (b) WebSocket, 32 connections x 8 in flight, beside an echo.
                    Console.WriteLine("(b) WebSocket users.check …");
                    var user = BenchDatabase.Username(settings.Users / 3);
                    string Frame(int id) => $$"""{"jsonrpc":"2.0","method":"users.check","params":["{{user}}"],"id":{{id}}}""";
                    var (ws, wsCeiling) = await InterleavedAsync(
                        round => LoadDriver.WebSocketClosedLoopAsync(server.WebSocketUri, Frame, 32, 8, Warmup, round, server.Pid),
                        round => LoadDriver.WebSocketClosedLoopAsync(ceiling.WebSocketUri, Frame, 32, 8, Warmup, round, ceiling.Pid), duration);
                    table.Add(ThroughputRow("WebSocket `users.check`, 32 connections x 8 in flight", ws, wsCeiling, 0.6, "echo"));

                    // (b') The same load on Node's `ws` answering users.check from memory: CPU per message, ours against it.
                    Console.WriteLine("(b') WebSocket users.check against Node's ws …");
                    await using var node = await ServerProcess.StartNodeAsync(root, [settings.Users.ToString(CultureInfo.InvariantCulture)]);
                    var (ours, theirs) = await InterleavedAsync(
                        round => LoadDriver.WebSocketClosedLoopAsync(server.WebSocketUri, Frame, 32, 8, Warmup, round, server.Pid),
                        round => LoadDriver.WebSocketClosedLoopAsync(node.WebSocketUri, Frame, 32, 8, Warmup, round, node.Pid), duration);
                    table.Add(new BenchRow(
                        "WebSocket `users.check` server CPU per message, 32 connections x 8 in flight", "<= Node `ws` reference's",
                        $"{MicrosPerCall(ours):0.0} µs/message ({ours.Describe()})", $"{MicrosPerCall(theirs):0.0} µs/message ({theirs.Describe()}) Node {NodeVersion()} ws",
                        MicrosPerCall(ours) / MicrosPerCall(theirs), MicrosPerCall(ours) <= MicrosPerCall(theirs) && ours.Errors == 0 && theirs.Errors == 0,
                        $"{ours.Cpu()}; Node: {theirs.Cpu()}; bench/ws-reference.cjs"));
                }

                if (settings.Runs('c'))
                {
                    // (c) A batch of 100 over HTTP: cost per member beside a single request's.
                    Console.WriteLine("(c) batch of 100 …");
                    var batchBody = "[" + string.Join(",", Enumerable.Range(0, 100).Select(i =>
                        $$"""{"jsonrpc":"2.0","method":"users.check","params":["{{(i % 2 == 0 ? BenchDatabase.Username(i * 997 % settings.Users) : "nobody" + i)}}"],"id":{{i}}}""")) + "]";
                    var batch = await LoadDriver.HttpClosedLoopAsync(server.Endpoint, [RawHttpConnection.EncodePost(server.Endpoint, "/rpc", batchBody)], 64, Warmup, duration, server.Pid);
                    var single = (httpExisting.RequestsPerSecond + httpMissing.RequestsPerSecond) / 2;
                    var perMemberUs = 1e6 / (batch.RequestsPerSecond * 100);
                    var singleUs = 1e6 / single;
                    table.Add(new BenchRow(
                        "HTTP batch of 100 `users.check`: cost per member", "<= 1/3 of a single request",
                        $"{perMemberUs:0.0} µs/member ({batch.RequestsPerSecond * 100:N0} members/s, batch p99 {batch.P99Ms:0.0} ms)",
                        $"{singleUs:0.0} µs per single request (rows above)", perMemberUs / singleUs, perMemberUs / singleUs <= 1.0 / 3, batch.Cpu()));
                }

                if (settings.Runs('e'))
                {
                    // (e) Latency at half of the maximum throughput, open loop.
                    Console.WriteLine("(e) latency at half of max throughput …");
                    var half = httpExisting.RequestsPerSecond / 2;
                    var atHalf = await LoadDriver.HttpOpenLoopAsync(server.Endpoint, [existing], 64, half, Warmup, duration, server.Pid);
                    var ceilingAtHalf = await LoadDriver.HttpOpenLoopAsync(ceiling.Endpoint, [ceilingExisting], 64, half, Warmup, duration, ceiling.Pid);
                    table.Add(new BenchRow(
                        $"HTTP `users.check` p99 at half of max ({half:N0}/s, open loop)", "p99 < 5 ms",
                        $"p99 {atHalf.P99Ms:0.00} ms, p50 {atHalf.P50Ms:0.00} ms ({atHalf.RequestsPerSecond:N0}/s)",
                        $"p99 {ceilingAtHalf.P99Ms:0.00} ms, p50 {ceilingAtHalf.P50Ms:0.00} ms (bare Kestrel, same schedule)", atHalf.P99Ms / 5, atHalf.P99Ms < 5 && atHalf.Errors == 0, atHalf.Cpu()));
                }

                if (settings.Runs('d'))
                {
                    // (d) users.auth beside the raw hash rate of the same hasher on the same cores.
                    Console.WriteLine("(d) users.auth …");
                    var logins = Enumerable.Range(0, 512).Select(i => RawHttpConnection.EncodePost(server.Endpoint, "/rpc",
                        $$"""{"jsonrpc":"2.0","method":"users.auth","params":["{{BenchDatabase.Username(i * 131 % settings.Users)}}","{{Password}}"],"id":1}""")).ToArray();
                    // Logins and raw hashes alternate in three rounds each, so drift in what else the machine
                    // runs falls on both sides alike; the figures are the averages over the rounds.
                    var round = TimeSpan.FromSeconds(Math.Max(3, settings.Seconds / 2.0));
                    await LoadDriver.HttpClosedLoopAsync(server.Endpoint, logins, 2 * Environment.ProcessorCount, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1), server.Pid);
                    var rounds = new List<LoadResult>();
                    var hashRates = new List<double>();
                    for (var r = 0; r < 3; r++)
                    {
                        rounds.Add(await LoadDriver.HttpClosedLoopAsync(server.Endpoint, logins, 2 * Environment.ProcessorCount, TimeSpan.FromMilliseconds(500), round, server.Pid, body => body.Span.IndexOf("\"token\""u8) >= 0));
                        hashRates.Add(await RawHashRateAsync(hasher, phc, round));
                    }

                    var auth = LoadResult.Mean(rounds);
                    var hashRate = hashRates.Average();
                    table.Add(new BenchRow(
                        $"`users.auth`, Argon2id m={options.MemoryKiB} KiB t={options.Iterations} p={options.Parallelism}", ">= 90% of raw hash rate",
                        $"{auth.RequestsPerSecond:0.0} logins/s (p50 {auth.P50Ms:0} ms)", $"{hashRate:0.0} hashes/s (same PasswordHasher, in-process, {Environment.ProcessorCount} at once)",
                        auth.RequestsPerSecond / hashRate, auth.RequestsPerSecond / hashRate >= 0.9 && auth.Errors == 0, auth.Cpu() + $", {auth.Errors} errors"));
                }
            }

            // (f) Memory, on a fresh server so the peak belongs to the burst.
            if (settings.Runs('f'))
            {
                Console.WriteLine("(f) memory …");
                await using (var server = await ServerProcess.StartAsync(serverDll, ["--port", "0", "--db", db], environment))
                {
                    await FetchAsync(server.Endpoint, Check(server.Endpoint, "user1", 1));
                    await Task.Delay(1000);
                    var idleFresh = server.RssMiB;
                    var watch = Stopwatch.StartNew();
                    var (answered, peak) = await ConcurrentLoginsAsync(server, 1000, settings.Users);
                    table.Add(new BenchRow("Resident memory idle (100k users)", "< 150 MiB", $"{idleFresh:0} MiB", $"{idleRss:0} MiB (first server, idle)", idleFresh / 150, idleFresh < 150, "VmRSS after start-up and one request"));
                    table.Add(new BenchRow("Resident memory peak, 1,000 concurrent `users.auth`", "< 1024 MiB", $"{peak:0} MiB", $"{idleFresh:0} MiB idle", peak / 1024, peak < 1024 && answered == 1000,
                        $"VmHWM; {answered} of 1000 logged in, {watch.Elapsed.TotalSeconds:0} s"));
                }
            }

            // (g) Scale: the same light load with 1,000,000 users.
            if (settings.ScaleUsers > 0 && settings.Runs('g'))
            {
                Console.WriteLine($"(g) scale: loading {settings.ScaleUsers:N0} users …");
                var big = Path.Combine(work, "scale.db");
                File.Copy(pristine, big);
                var more = BenchDatabase.AddUsers(big, settings.Users, settings.ScaleUsers, phc);
                notes.Add($"Scale database: added {settings.ScaleUsers - settings.Users:N0} users in {more.TotalSeconds:0.0} s.");
                // The users.check cache is off for this row and its reference, so both measure the index look-up.
                var uncached = new Dictionary<string, string>(environment) { ["Accounts__CheckCacheSeconds"] = "0" };
                LoadResult reference;
                await using (var small = await ServerProcess.StartAsync(serverDll, ["--port", "0", "--db", db], uncached))
                {
                    reference = await UncachedChecksAsync(small, settings.Users, duration);
                }

                await using var server = await ServerProcess.StartAsync(serverDll, ["--port", "0", "--db", big], uncached);
                var scaled = await UncachedChecksAsync(server, settings.ScaleUsers, duration);
                table.Add(new BenchRow(
                    $"`users.check` p99 with {settings.ScaleUsers:N0} users (1,000/s, 16 connections, open loop, 1,000 names, cache off)", "p99 < 2 ms",
                    $"p99 {scaled.P99Ms:0.00} ms, p50 {scaled.P50Ms:0.00} ms", $"p99 {reference.P99Ms:0.00} ms with {settings.Users:N0} users, same load",
                    scaled.P99Ms / 2, scaled.P99Ms < 2 && scaled.Errors == 0, scaled.Cpu()));

                // admin.users.search on the same database: a staff user with a session of known token,
                // inserted directly. A filter of 3+ characters is a substring ("user" is in every bench
                // name, "45678" in a few dozen); 1 or 2 characters are a prefix ("us" matches all).
                var staffToken = BenchFixtures.AddStaff(big, settings.ScaleUsers + 1, phc);
                byte[] Search(string filter, int page, long after) => RawHttpConnection.EncodePost(server.Endpoint, "/rpc",
                    $$"""{"jsonrpc":"2.0","method":"admin.users.search","auth":"{{staffToken}}","params":{"username":"{{filter}}","page":{{page}},"per_page":50,"after":{{after}}},"id":1}""");
                int Matches(Func<string, bool> match) => Enumerable.Range(0, settings.ScaleUsers).Count(i => match(BenchDatabase.Username(i)));
                // Deep pages go on from the last id of the page before (user i has id i + 1): offsets stop at 10,000.
                foreach (var (filter, page, after, label, matches, plan) in new[]
                {
                    ("user", 0, 0L, "first page", settings.ScaleUsers, "substring, trigram index"),
                    ("user", 0, 50_000L, "page 1,001 (after id 50,000)", settings.ScaleUsers, "substring, trigram index"),
                    ("user12", 100, 0L, "page 100 (offset 5,000)", Matches(n => n.Contains("user12", StringComparison.Ordinal)), "substring, trigram index"),
                    ("45678", 0, 0L, "first page", Matches(n => n.Contains("45678", StringComparison.Ordinal)), "substring, trigram index"),
                    ("us", 0, 50_000L, "page 1,001 (after id 50,000)", settings.ScaleUsers, "prefix, id-order walk"),
                })
                {
                    var search = Search(filter, page, after);
                    var sample = await FetchAsync(server.Endpoint, search);
                    if (sample.AsSpan().IndexOf("\"username\":\"user"u8) < 0)
                    {
                        throw new InvalidOperationException("admin.users.search failed: " + Encoding.UTF8.GetString(sample));
                    }

                    await LoadDriver.HttpClosedLoopAsync(server.Endpoint, [search], 4, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1), server.Pid);
                    var searched = await LoadDriver.HttpOpenLoopAsync(server.Endpoint, [search], 4, 50, Warmup, duration, server.Pid);
                    table.Add(new BenchRow(
                        $"`admin.users.search` {{username:\"{filter}\", per_page:50}} {label} with {settings.ScaleUsers:N0} users (50/s, 4 connections, open loop)", "p99 < 50 ms",
                        $"p99 {searched.P99Ms:0.00} ms, p50 {searched.P50Ms:0.00} ms", $"p99 {scaled.P99Ms:0.00} ms `users.check` (row above)",
                        searched.P99Ms / 50, searched.P99Ms < 50 && searched.Errors == 0, $"matches {matches:N0} users ({plan}); {searched.Cpu()}"));
                }
            }

            // (h) Under attack (issue #11), on a server of its own: see AbuseBench (also ./run.sh bench abuse).
            if (settings.Runs('h'))
            {
                Console.WriteLine("(h) under attack …");
                await AbuseBench.AddRowsAsync(table, notes, serverDll, work, phc, duration);
            }

            notes.Add("Ratio: measured / ceiling for throughput, and measured / target for latency and memory. \"driver\" is the load driver's own CPU (cores busy), \"server\" the measured process's.");
            notes.Add("The bench server runs with the default settings except logging at Warning and very high login rate limits (every request comes from 127.0.0.1).");
            notes.Add("The ceiling runs on the server's runtime settings (the thread pool's workers do not spin before they sleep, Rpc.Server.csproj), so its ratios measure the server's code; the setting took about 12 % off both processes' CPU per HTTP call.");
            notes.Add("`users.check` answers are cached by default (`Accounts:CheckCacheSeconds`, 5 s): the throughput, batch and half-load rows repeat the same names, so they measure the cached path; the scale rows run with the cache off, so they measure the index look-up.");
            return await table.WriteReportAsync(
                "Benchmark results",
                string.Create(CultureInfo.InvariantCulture, $"`./run.sh bench` on {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores ({Environment.OSVersion}, .NET {Environment.Version}); ") +
                    $"server in Release as its own process on loopback, ceilings from a bare Kestrel process started by the bench; {settings.Seconds} s per measurement after a 1 s warm-up (the throughput rows and their ceilings in three alternating rounds of {Math.Max(2, settings.Seconds / 2.0):0.#} s, averaged); whole run {total.Elapsed.TotalMinutes:0.0} min.",
                notes,
                Path.Combine(root, settings.Output));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(work, recursive: true);
        }
    }

    internal static Dictionary<string, string> ServerEnvironment() => new()
    {
        ["Logging__LogLevel__Default"] = "Warning",
        ["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning",
        ["RateLimits__LoginPerAddress__Burst"] = "1000000",
        ["RateLimits__LoginPerAccount__Burst"] = "1000000",
        ["RateLimits__LoginPerAccountAndAddress__Burst"] = "1000000",
        // The load comes from one address, which the per-address pace and hash share are there to hold back.
        ["Rpc__PacedBytesPerSecondPerAddress"] = "0",
        ["Passwords__MaxConcurrentHashesPerAddress"] = "1024",
        // The memory row sends 1,000 logins at once from that address: they wait in the hash queue, not at the door.
        ["Connections__MaxConnectionsPerAddress"] = "4096",
        ["Passwords__MaxQueuedHashes"] = "4096",
        ["Passwords__MaxQueuedHashesPerAddress"] = "4096",
    };

    /// <summary>
    /// users.check at 1,000/s over 1,000 names (half of them taken) on a fresh server, after warming its JIT and
    /// page cache for five seconds.
    /// </summary>
    private static async Task<LoadResult> UncachedChecksAsync(ServerProcess server, int users, TimeSpan duration)
    {
        var requests = Enumerable.Range(0, 1000).Select(i => Check(server.Endpoint, i % 2 == 0 ? BenchDatabase.Username(i * 7919 % users) : "nobody" + i, 1)).ToArray();
        await LoadDriver.HttpClosedLoopAsync(server.Endpoint, requests, 16, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1), server.Pid);
        return await LoadDriver.HttpOpenLoopAsync(server.Endpoint, requests, 16, 1000, Warmup, duration, server.Pid);
    }

    private static byte[] Check(IPEndPoint endpoint, string username, int id) =>
        RawHttpConnection.EncodePost(endpoint, "/rpc", $$"""{"jsonrpc":"2.0","method":"users.check","params":["{{username}}"],"id":{{id}}}""");

    internal static async Task<byte[]> FetchAsync(IPEndPoint endpoint, byte[] request)
    {
        using var connection = await RawHttpConnection.ConnectAsync(endpoint);
        await connection.SendAsync(request);
        return connection.Body.ToArray();
    }

    /// <summary>
    /// A measurement and its ceiling in three alternating rounds of half the duration each, averaged, so that
    /// drift in what else the machine runs falls on both sides alike.
    /// </summary>
    private static async Task<(LoadResult Measured, LoadResult Ceiling)> InterleavedAsync(
        Func<TimeSpan, Task<LoadResult>> measure, Func<TimeSpan, Task<LoadResult>> ceiling, TimeSpan duration)
    {
        var round = TimeSpan.FromSeconds(Math.Max(2, duration.TotalSeconds / 2));
        var measured = new List<LoadResult>();
        var ceilings = new List<LoadResult>();
        for (var i = 0; i < 3; i++)
        {
            measured.Add(await measure(round));
            ceilings.Add(await ceiling(round));
        }

        return (LoadResult.Mean(measured), LoadResult.Mean(ceilings));
    }

    private static BenchRow ThroughputRow(string name, LoadResult measured, LoadResult ceiling, double target, string ceilingName = "bare Kestrel")
    {
        var ratio = measured.RequestsPerSecond / ceiling.RequestsPerSecond;
        return new BenchRow(name, $">= {target:P0} of {ceilingName}", measured.Describe(), ceiling.Describe(), ratio, ratio >= target && measured.Errors == 0,
            $"server {MicrosPerCall(measured):0.0} µs CPU/call, ceiling {MicrosPerCall(ceiling):0.0} µs; {measured.Cpu()}; ceiling: {ceiling.Cpu()}; {measured.Errors} errors");
    }

    /// <summary>The measured process's CPU time per call answered, in microseconds: the fair figure when the load generator shares the cores.</summary>
    private static double MicrosPerCall(LoadResult result) => result.ServerCores / result.RequestsPerSecond * 1e6;

    private static string NodeVersion()
    {
        using var process = Process.Start(new ProcessStartInfo("node", "--version") { RedirectStandardOutput = true })!;
        var version = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        return version;
    }

    /// <summary>Verifications per second of the same PasswordHasher, as many at once as it allows.</summary>
    private static async Task<double> RawHashRateAsync(PasswordHasher hasher, string phc, TimeSpan duration)
    {
        var stop = 0;
        long count = 0;
        var start = Stopwatch.GetTimestamp();
        var workers = Enumerable.Range(0, Environment.ProcessorCount).Select(_ => Task.Run(async () =>
        {
            while (Volatile.Read(ref stop) == 0)
            {
                if (await hasher.VerifyAsync(Password, phc, CancellationToken.None) == PasswordCheck.Failed)
                {
                    throw new InvalidOperationException("the shared hash did not verify");
                }

                Interlocked.Increment(ref count);
            }
        })).ToArray();
        await Task.Delay(duration);
        Volatile.Write(ref stop, 1);
        var done = Interlocked.Read(ref count);
        var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        await Task.WhenAll(workers);
        return done / seconds;
    }

    /// <summary>Sends <paramref name="count"/> logins at once on as many connections; returns how many succeeded and the peak RSS.</summary>
    private static async Task<(int Answered, double PeakMiB)> ConcurrentLoginsAsync(ServerProcess server, int count, int users)
    {
        var connections = await Task.WhenAll(Enumerable.Range(0, count).Select(_ => RawHttpConnection.ConnectAsync(server.Endpoint)));
        var answered = 0;
        var tasks = connections.Select(async (connection, i) =>
        {
            var request = RawHttpConnection.EncodePost(server.Endpoint, "/rpc",
                $$"""{"jsonrpc":"2.0","method":"users.auth","params":["{{BenchDatabase.Username(i * 37 % users)}}","{{Password}}"],"id":1}""");
            await connection.SendAsync(request);
            if (connection.Body.Span.IndexOf("\"token\""u8) >= 0)
            {
                Interlocked.Increment(ref answered);
            }

            connection.Dispose();
        }).ToArray();
        await Task.WhenAll(tasks);
        return (answered, server.PeakRssMiB);
    }
}
