using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Rpc.Server.Security;

namespace Rpc.Bench;

/// <summary>
/// <c>./run.sh bench abuse</c> (and the abuse rows of <c>./run.sh bench</c>): the server under attack beside the same
/// figure without it. The attacker is 127.0.0.2, a legitimate user logging in 127.0.0.3, a <c>users.check</c> client
/// 127.0.0.4: Linux routes all of 127.0.0.0/8 to loopback, so per-address limits see three clients.
/// Rows: resident memory while 100 WebSockets send large batches and never read (and when each was dropped),
/// a legitimate login's p99 while the attacker floods logins, and <c>users.check</c>'s p99 during both floods.
/// </summary>
public static partial class AbuseBench
{
    private const string Password = "bench password 1";
    private const int Sockets = 100;
    private const int HashFlooders = 32;
    private static readonly IPAddress Attacker = IPAddress.Parse("127.0.0.2");
    private static readonly IPAddress Legitimate = IPAddress.Parse("127.0.0.3");
    private static readonly IPAddress Checker = IPAddress.Parse("127.0.0.4");

    public static async Task<int> RunAsync(BenchSettings settings)
    {
        var total = Stopwatch.StartNew();
        var loadBefore = LoadAverage();
        var root = Directory.GetCurrentDirectory();
        var table = new ResultTable();
        var notes = new List<string>();
        var work = Path.Combine(Path.GetTempPath(), "rpc-bench-abuse-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        try
        {
            var hasher = new PasswordHasher(Options.Create(new PasswordOptions()));
            var phc = await hasher.HashAsync(Password, CancellationToken.None);
            await AddRowsAsync(table, notes, Path.Combine(root, "Rpc.Server", "bin", "Release", "net10.0", "Rpc.Server.dll"), work, phc, TimeSpan.FromSeconds(settings.Seconds));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(work, recursive: true);
        }

        return await table.WriteReportAsync(
            "Benchmark results under attack",
            string.Create(CultureInfo.InvariantCulture, $"`./run.sh bench abuse` on {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores ({Environment.OSVersion}, .NET {Environment.Version}); ") +
                $"server in Release with its default settings as its own process on loopback, attacker and clients in the bench process; whole run {total.Elapsed.TotalMinutes:0.0} min; " +
                $"load average (1 min) {loadBefore} at the start and {LoadAverage()} at the end (the machine is shared: a row measured above 4 says little and is measured again when quieter).",
            notes,
            Path.Combine(root, settings.Output));
    }

    /// <summary>Runs the three rows on a fresh server with a small database in <paramref name="work"/> and adds them to <paramref name="table"/>.</summary>
    public static async Task AddRowsAsync(ResultTable table, List<string> notes, string serverDll, string work, string phc, TimeSpan duration)
    {
        var db = Path.Combine(work, "abuse.db");
        await BenchDatabase.CreateAsync(db, CancellationToken.None);
        BenchDatabase.AddUsers(db, 0, 1000, phc);
        var environment = new Dictionary<string, string>
        {
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning",
        };
        await using var server = await ServerProcess.StartAsync(serverDll, ["--port", "0", "--db", db], environment);
        var endpoint = server.Endpoint;
        var legitimateLogin = RawHttpConnection.EncodePost(endpoint, "/rpc",
            $$"""{"jsonrpc":"2.0","method":"users.auth","params":["{{BenchDatabase.Username(1)}}","{{Password}}"],"id":1}""");
        var floodLogin = RawHttpConnection.EncodePost(endpoint, "/rpc",
            $$"""{"jsonrpc":"2.0","method":"users.auth","params":["{{BenchDatabase.Username(0)}}","{{Password}}"],"id":1}""");
        var check = RawHttpConnection.EncodePost(endpoint, "/rpc", $$"""{"jsonrpc":"2.0","method":"users.check","params":["{{BenchDatabase.Username(7)}}"],"id":1}""");

        Console.WriteLine("abuse: warming up …");
        await LoginsAsync(endpoint, legitimateLogin, Legitimate, TimeSpan.FromSeconds(2));
        await ChecksAsync(endpoint, check, Checker, TimeSpan.FromSeconds(2));
        await Task.Delay(1000);
        var idleRss = server.RssMiB;

        Console.WriteLine("abuse: without the attack …");
        var idleLogins = await LoginsAsync(endpoint, legitimateLogin, Legitimate, duration);
        var idleChecks = await ChecksAsync(endpoint, check, Checker, duration);

        // Row 1: the WebSocket flood alone, so the memory is the flood's.
        Console.WriteLine($"abuse: {Sockets} WebSockets sending large batches, never reading …");
        var (peakRss, dropped) = await WebSocketFloodAsync(server, TimeSpan.FromSeconds(60), CancellationToken.None);
        var slowest = dropped.Count == Sockets ? dropped.Max() : double.NaN;
        table.Add(new BenchRow(
            $"Server RSS while {Sockets} WebSockets from one address send 1 MB batches and never read", "< 300 MiB, each closed within 30 s",
            $"peak {peakRss:0} MiB; {dropped.Count(s => s <= 30)} of {Sockets} closed within 30 s (slowest {slowest:0.0} s)",
            $"{idleRss:0} MiB idle", peakRss / 300, peakRss < 300 && dropped.Count(s => s <= 30) == Sockets,
            "RSS sampled every 100 ms; closed = the server dropped the connection (reset after 4008)"));

        // Rows 2 and 3: both floods at once, the legitimate clients measured meanwhile.
        await WaitForNoWebSocketsAsync(endpoint);
        Console.WriteLine("abuse: login flood and WebSocket flood together …");
        using var stop = new CancellationTokenSource();
        var hashFlood = LoginFloodAsync(endpoint, floodLogin, stop.Token);
        var socketFlood = WebSocketFloodAsync(server, TimeSpan.FromSeconds(60), stop.Token);
        await Task.Delay(TimeSpan.FromSeconds(1));
        var checksTask = ChecksAsync(endpoint, check, Checker, duration);
        var loginsUnderAttack = await LoginsAsync(endpoint, legitimateLogin, Legitimate, duration);
        var checksUnderAttack = await checksTask;
        await stop.CancelAsync();
        var flooded = await hashFlood;
        var (bothPeak, _) = await socketFlood;
        table.Add(new BenchRow(
            "`users.auth` p99 from a second address while one address floods logins (32 connections)", "p99 < 3x idle p99",
            $"p99 {loginsUnderAttack.P99:0} ms, p50 {loginsUnderAttack.P50:0} ms ({loginsUnderAttack.Count} logins, {loginsUnderAttack.Errors} errors)",
            $"p99 {idleLogins.P99:0} ms, p50 {idleLogins.P50:0} ms idle", loginsUnderAttack.P99 / (3 * idleLogins.P99),
            loginsUnderAttack.P99 < 3 * idleLogins.P99 && loginsUnderAttack.Errors == 0,
            $"the flood: {flooded.Logins} logins, {flooded.Busy} answered busy, {flooded.RateLimited} rate limited, {flooded.Closed} connections closed by the server, {flooded.Other} other answers; the WebSocket flood ran meanwhile (peak {bothPeak:0} MiB)"));
        if (flooded.FirstOther is { } sample)
        {
            notes.Add("The login flood's first other answer: " + sample[..Math.Min(sample.Length, 300)]);
        }
        table.Add(new BenchRow(
            "`users.check` p99 from a third address during both floods (200/s, open loop)", "p99 < 10 ms",
            $"p99 {checksUnderAttack.P99:0.00} ms, p50 {checksUnderAttack.P50:0.00} ms ({checksUnderAttack.Errors} errors)",
            $"p99 {idleChecks.P99:0.00} ms, p50 {idleChecks.P50:0.00} ms idle", checksUnderAttack.P99 / 10,
            checksUnderAttack.P99 < 10 && checksUnderAttack.Errors == 0, "latency from each request's scheduled time"));
        notes.Add("Abuse rows: the server with its default settings (only logging quieter) and 1,000 users; attacker 127.0.0.2, legitimate login 127.0.0.3, users.check 127.0.0.4. " +
            "The login flood logs in with the attacker's own right password, which no failed-login limit stops, so only the hash queue's fairness protects the other address.");
    }

    private sealed record Latencies(double P50, double P99, int Count, int Errors);

    private static Latencies Summarize(List<double> samples, int errors)
    {
        var sorted = samples.Order().ToArray();
        double At(double q) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(sorted.Length * q) - 1)];
        return new Latencies(At(0.5), At(0.99), sorted.Length, errors);
    }

    /// <summary>
    /// One legitimate login after another from <paramref name="source"/>, each on a new connection, for <paramref name="duration"/>,
    /// on a thread of its own with blocking calls, so that the attacker's loops in this process cannot delay its clock.
    /// </summary>
    private static Task<Latencies> LoginsAsync(IPEndPoint endpoint, byte[] login, IPAddress source, TimeSpan duration) => OnOwnThread(() =>
    {
        var samples = new List<double>();
        var errors = 0;
        var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < end)
        {
            var started = Stopwatch.GetTimestamp();
            using var connection = RawHttpConnection.Connect(endpoint, source);
            connection.Send(login);
            samples.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            errors += connection.Body.Span.IndexOf("\"token\""u8) >= 0 ? 0 : 1;
        }

        return Summarize(samples, errors);
    });

    /// <summary>
    /// <c>users.check</c> at 200/s on 4 connections from <paramref name="source"/>, latency from each request's scheduled
    /// time; each connection on a thread of its own with blocking calls (see <see cref="LoginsAsync"/>).
    /// </summary>
    private static async Task<Latencies> ChecksAsync(IPEndPoint endpoint, byte[] check, IPAddress source, TimeSpan duration)
    {
        const int Connections = 4;
        var interval = TimeSpan.FromMilliseconds(1000.0 * Connections / 200);
        var errors = 0;
        var perConnection = await Task.WhenAll(Enumerable.Range(0, Connections).Select(c => OnOwnThread(() =>
        {
            var samples = new List<double>();
            using var connection = RawHttpConnection.Connect(endpoint, source);
            var start = Stopwatch.GetTimestamp() + (long)(interval.TotalSeconds * Stopwatch.Frequency * c / Connections);
            for (var i = 0; ; i++)
            {
                var due = start + (long)(interval.TotalSeconds * Stopwatch.Frequency * i);
                if (Stopwatch.GetElapsedTime(start) > duration)
                {
                    break;
                }

                while (due - Stopwatch.GetTimestamp() is var wait && wait > 0)
                {
                    Thread.Sleep(TimeSpan.FromSeconds(Math.Min(0.001, (double)wait / Stopwatch.Frequency)));
                }

                connection.Send(check);
                samples.Add(Stopwatch.GetElapsedTime(due).TotalMilliseconds);
                if (connection.Status != 200)
                {
                    Interlocked.Increment(ref errors);
                }
            }

            return samples;
        })));
        return Summarize(perConnection.SelectMany(s => s).ToList(), errors);
    }

    /// <summary>The machine's 1-minute load average from /proc/loadavg, as written there.</summary>
    private static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "unknown";

    private static Task<T> OnOwnThread<T>(Func<T> work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>What the login flood's requests got back.</summary>
    private sealed record FloodOutcome(int Logins, int Busy, int RateLimited, int Closed, int Other, string? FirstOther);

    /// <summary>
    /// <see cref="HashFlooders"/> connections from the attacker logging in as fast as they are answered, until
    /// <paramref name="stop"/>; a connection the server closes is counted and opened again.
    /// </summary>
    private static async Task<FloodOutcome> LoginFloodAsync(IPEndPoint endpoint, byte[] login, CancellationToken stop)
    {
        int logins = 0, busy = 0, limited = 0, closed = 0, other = 0;
        string? firstOther = null;
        await Task.WhenAll(Enumerable.Range(0, HashFlooders).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var connection = await RawHttpConnection.ConnectAsync(endpoint, Attacker);
                try
                {
                    while (!stop.IsCancellationRequested)
                    {
                        await connection.SendAsync(login);
                        var body = connection.Body.Span;
                        if (body.IndexOf("\"token\""u8) >= 0)
                        {
                            Interlocked.Increment(ref logins);
                        }
                        else if (body.IndexOf("busy"u8) >= 0)
                        {
                            Interlocked.Increment(ref busy);
                        }
                        else if (body.IndexOf("rate limited"u8) >= 0)
                        {
                            Interlocked.Increment(ref limited);
                        }
                        else
                        {
                            Interlocked.Increment(ref other);
                            Interlocked.CompareExchange(ref firstOther, $"HTTP {connection.Status} {Encoding.UTF8.GetString(body)}", null);
                        }
                    }
                }
                catch (Exception e) when (e is IOException or SocketException)
                {
                    Interlocked.Increment(ref closed);
                }
            }
        })));
        return new FloodOutcome(logins, busy, limited, closed, other, firstOther);
    }

    /// <summary>Waits until the server counts no open WebSocket (its /metrics gauge), so that one phase's sockets do not count against the next's limits.</summary>
    private static async Task WaitForNoWebSocketsAsync(IPEndPoint endpoint)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://{endpoint}") };
        var deadline = Stopwatch.GetTimestamp() + 30 * Stopwatch.Frequency;
        while (Stopwatch.GetTimestamp() < deadline)
        {
            var text = await http.GetStringAsync("/metrics");
            var open = OpenWebSockets().Match(text);
            if (!open.Success || double.Parse(open.Groups[1].Value, CultureInfo.InvariantCulture) == 0)
            {
                return;
            }

            await Task.Delay(200);
        }

        Console.WriteLine("abuse: the server still counts open WebSockets after 30 s");
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"(?m)^rpc_websockets_open(?:\{[^}]*\})? ([0-9.eE+-]+)")]
    private static partial System.Text.RegularExpressions.Regex OpenWebSockets();

    /// <summary>
    /// <see cref="Sockets"/> WebSockets from the attacker, each sending batches of 100 <c>users.check</c> with 10 KB
    /// ids (a 1 MB message, a 1 MB reply) as fast as the server takes them and never reading. Returns the peak RSS
    /// sampled meanwhile and, for each socket the server dropped, the seconds it lived.
    /// </summary>
    private static async Task<(double PeakMiB, List<double> Dropped)> WebSocketFloodAsync(ServerProcess server, TimeSpan limit, CancellationToken stop)
    {
        var frame = MaskedTextFrame("[" + string.Join(",", Enumerable.Range(0, 100).Select(i =>
            $$"""{"jsonrpc":"2.0","method":"users.check","params":["nobody"],"id":"{{i:D3}}{{new string('x', 10_000)}}"}""")) + "]");
        var dropped = new List<double>();
        var peak = server.RssMiB;
        using var done = CancellationTokenSource.CreateLinkedTokenSource(stop);
        done.CancelAfter(limit);
        var sockets = Enumerable.Range(0, Sockets).Select(_ => Task.Run(async () =>
        {
            var started = Stopwatch.GetTimestamp();
            using var socket = await HandshakeAsync(server.Endpoint);
            try
            {
                while (!done.IsCancellationRequested)
                {
                    await socket.SendAsync(frame, SocketFlags.None, done.Token);
                }
            }
            catch (Exception e) when (e is SocketException or IOException)
            {
                lock (dropped)
                {
                    dropped.Add(Stopwatch.GetElapsedTime(started).TotalSeconds);
                }
            }
            catch (OperationCanceledException)
            {
            }
        })).ToArray();
        var all = Task.WhenAll(sockets);
        while (!all.IsCompleted)
        {
            peak = Math.Max(peak, server.RssMiB);
            await Task.WhenAny(all, Task.Delay(100));
        }

        await all;
        return (Math.Max(peak, server.RssMiB), dropped);
    }

    private static async Task<Socket> HandshakeAsync(IPEndPoint endpoint)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(Attacker, 0));
        await socket.ConnectAsync(endpoint);
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        await socket.SendAsync(Encoding.ASCII.GetBytes(
            $"GET /rpc HTTP/1.1\r\nHost: {endpoint}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"), SocketFlags.None);
        var response = new StringBuilder();
        var buffer = new byte[1];
        while (!response.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await socket.ReceiveAsync(buffer, SocketFlags.None) == 0)
            {
                throw new IOException("the server closed the connection during the handshake");
            }

            response.Append((char)buffer[0]);
        }

        if (!response.ToString().StartsWith("HTTP/1.1 101", StringComparison.Ordinal))
        {
            throw new IOException("the WebSocket upgrade was refused: " + response.ToString().Split("\r\n")[0]);
        }

        return socket;
    }

    /// <summary>One masked client text frame, built once and sent again and again (the mask need not change for the server).</summary>
    private static byte[] MaskedTextFrame(string text)
    {
        var payload = Encoding.UTF8.GetBytes(text);
        var mask = new byte[] { 0x12, 0x34, 0x56, 0x78 };
        var frame = new List<byte> { 0x81, 0x80 | 127 };
        for (var shift = 56; shift >= 0; shift -= 8)
        {
            frame.Add((byte)((long)payload.Length >> shift));
        }

        frame.AddRange(mask);
        frame.AddRange(payload.Select((b, i) => (byte)(b ^ mask[i % 4])));
        return [.. frame];
    }
}
