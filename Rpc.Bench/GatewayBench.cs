using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using Microsoft.Extensions.Options;
using Rpc.Server.Security;

namespace Rpc.Bench;

/// <summary>
/// <c>./run.sh bench gateway</c>: N + 1 users with sessions of known tokens and one guild of all of
/// them, inserted directly; N WebSockets from this process, each authenticated with
/// <c>users.identify</c> (bounded concurrency) and then read by one receive loop that only looks for
/// the marker of the measured event. Rows: the server's VmRSS with the N idle authenticated
/// connections, and how long one PRESENCE_UPDATE (user N + 1 sets its status over HTTP) takes to
/// reach the first 1,000 and all N receivers.
/// </summary>
public static class GatewayBench
{
    private const int IdentifyConcurrency = 64;
    private const int Rounds = 3;
    private static readonly TimeSpan FanOutTimeout = TimeSpan.FromSeconds(20);

    public static async Task<int> RunAsync(BenchSettings settings)
    {
        var total = Stopwatch.StartNew();
        var root = Directory.GetCurrentDirectory();
        var serverDll = Path.Combine(root, "Rpc.Server", "bin", "Release", "net10.0", "Rpc.Server.dll");
        var work = Path.Combine(Path.GetTempPath(), "rpc-bench-gw-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        var n = settings.Connections;
        var publisher = n; // user{n}, id n + 1: the user whose presence changes; users 0..n-1 receive.
        var table = new ResultTable();
        var notes = new List<string>();
        var sockets = new ClientWebSocket?[n];
        try
        {
            Console.WriteLine($"bench gateway: {Environment.ProcessorCount} cores, {n:N0} connections, work dir {work}");
            var hasher = new PasswordHasher(Options.Create(new PasswordOptions()));
            var phc = await hasher.HashAsync("bench password 1", CancellationToken.None);
            var db = Path.Combine(work, "gateway.db");
            var load = Stopwatch.StartNew();
            await BenchDatabase.CreateAsync(db, CancellationToken.None);
            BenchDatabase.AddUsers(db, 0, n + 1, phc);
            BenchFixtures.AddSessions(db, 0, n + 1);
            if (settings.MembersFirst)
            {
                BenchFixtures.AddGuild(db, 1, 0, n + 1);
            }

            notes.Add($"Database: {n + 1:N0} users, one session each with a known token, one guild of all of them, inserted directly in {load.Elapsed.TotalSeconds:0.0} s.");

            var limit = (2 * n).ToString(CultureInfo.InvariantCulture);
            await using var server = await ServerProcess.StartAsync(serverDll,
                ["--port", "0", "--db", db, "--Gateway:LargeThreshold=" + (n + 2).ToString(CultureInfo.InvariantCulture), "--Connections:MaxWebSockets=" + limit, "--Connections:MaxWebSocketsPerAddress=" + limit, "--Connections:MaxConnections=" + (3 * n).ToString(CultureInfo.InvariantCulture), "--Connections:MaxConnectionsPerAddress=" + (3 * n).ToString(CultureInfo.InvariantCulture), "--Gateway:MaxQueuedReplyBytesPerAddress=" + (1L << 30).ToString(CultureInfo.InvariantCulture)],
                BenchRun.ServerEnvironment());
            await BenchRun.FetchAsync(server.Endpoint, RawHttpConnection.EncodePost(server.Endpoint, "/rpc", """{"jsonrpc":"2.0","method":"users.check","params":["user1"],"id":1}"""));
            await Task.Delay(1000);
            var idleRss = server.RssMiB;

            // Connect and identify every receiver, a bounded number at a time.
            Console.WriteLine($"opening and identifying {n:N0} WebSockets, {IdentifyConcurrency} at a time …");
            var receivers = new Receivers(n);
            var identifyCpu = new CpuMeter(server.Pid);
            var identify = Stopwatch.StartNew();
            await Parallel.ForEachAsync(Enumerable.Range(0, n), new ParallelOptions { MaxDegreeOfParallelism = IdentifyConcurrency }, async (i, ct) =>
            {
                sockets[i] = await ConnectAndIdentifyAsync(server.WebSocketUri, BenchFixtures.Token(i), ct);
                _ = receivers.ReceiveLoopAsync(sockets[i]!, i);
            });
            var identifySeconds = identify.Elapsed.TotalSeconds;
            var (identifyDriver, identifyServer) = identifyCpu.Cores();
            notes.Add($"Identify: {n:N0} connections opened and identified in {identifySeconds:0.0} s ({n / identifySeconds:N0}/s, {IdentifyConcurrency} at a time); driver {identifyDriver:0.00} cores, server {identifyServer:0.00} cores.");
            Console.WriteLine(notes[^1]);

            if (!settings.MembersFirst)
            {
                // Memberships go in after the connections identified: with them first, every identify
                // fans its PRESENCE_UPDATE (ONLINE) out to every member already online, n²/2 frames in all
                // (see --members-first and the notes). The server reads guild_members on every fan-out.
                BenchFixtures.AddGuild(db, 1, 0, n + 1);
            }

            var settle = await WaitForIdleAsync(server.Pid, TimeSpan.FromSeconds(120));
            notes.Add($"Server settled (CPU < 5% of a core) {settle.TotalSeconds:0.0} s after the last identify.");
            var rss = server.RssMiB;
            var open = receivers.Open;
            table.Add(new BenchRow(
                $"Server resident memory, {n:N0} authenticated idle WebSockets", "< 1.5 GiB", $"{rss:0} MiB", $"{idleRss:0} MiB before any connection",
                rss / 1536, rss < 1536 && open == n,
                $"VmRSS; {(rss - idleRss) * 1024 / n:0.0} KiB per connection; {open:N0} of {n:N0} open; peak VmHWM {server.PeakRssMiB:0} MiB"));

            // One PRESENCE_UPDATE to all receivers, several rounds (the status alternates so each is a change).
            using var http = await RawHttpConnection.ConnectAsync(server.Endpoint);
            var results = new List<(double ReplyMs, double FirstThousandMs, double AllMs, int Received, double Driver, double Server)>();
            for (var round = 0; round < Rounds; round++)
            {
                var status = round % 2 == 0 ? "DND" : "IDLE";
                var request = RawHttpConnection.EncodePost(server.Endpoint, "/rpc",
                    $$"""{"jsonrpc":"2.0","method":"users.presence","auth":"{{BenchFixtures.Token(publisher)}}","params":{"status":"{{status}}"},"id":1}""");
                receivers.Expect(Encoding.UTF8.GetBytes($"\"status\":\"{status}\""));
                var cpu = new CpuMeter(server.Pid);
                var start = Stopwatch.GetTimestamp();
                receivers.Start(start);
                await http.SendAsync(request);
                var reply = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                if (http.Body.Span.IndexOf(Encoding.UTF8.GetBytes($"\"result\":\"{status}\"")) < 0)
                {
                    throw new InvalidOperationException("users.presence failed: " + Encoding.UTF8.GetString(http.Body.Span));
                }

                await receivers.WaitAllAsync(FanOutTimeout);
                var (driver, serverCores) = cpu.Cores();
                var (first, all, received) = receivers.Times(Math.Min(1000, n));
                results.Add((reply, first, all, received, driver, serverCores));
                Console.WriteLine($"  round {round + 1} ({status}): reply {reply:0.0} ms, first 1,000 {first:0.0} ms, all {all:0.0} ms, {received:N0} received");
                await WaitForIdleAsync(server.Pid, TimeSpan.FromSeconds(30));
            }

            var median = results.OrderBy(r => r.AllMs).ElementAt(results.Count / 2);
            var rounds = string.Join("; ", results.Select(r => $"{r.FirstThousandMs:0} / {r.AllMs:0} ms"));
            table.Add(new BenchRow(
                "PRESENCE_UPDATE reaches the first 1,000 receivers (HTTP `users.presence` to receipt)", "< 1 s",
                $"{median.FirstThousandMs:0.0} ms", $"HTTP reply after {median.ReplyMs:0.0} ms", median.FirstThousandMs / 1000,
                results.All(r => r.FirstThousandMs < 1000),
                $"first 1,000 of the {n:N0} receivers to get it (the median round of {Rounds} by the all-receivers time); driver {median.Driver:0.00} cores, server {median.Server:0.00} cores"));
            table.Add(new BenchRow(
                $"PRESENCE_UPDATE reaches all {n:N0} receivers", "< 1 s",
                $"{median.AllMs:0.0} ms", $"HTTP reply after {median.ReplyMs:0.0} ms", median.AllMs / 1000,
                results.All(r => r.AllMs < 1000 && r.Received == n),
                $"{median.Received:N0} of {n:N0} received; rounds (first 1,000 / all): {rounds}; driver {median.Driver:0.00} cores, server {median.Server:0.00} cores over the round"));
            notes.Add($"Whole run {total.Elapsed.TotalMinutes:0.0} min.");
            notes.Add("The server runs with `Gateway:LargeThreshold` above N, so the guild of all the users is small and its presence goes to every member, as issue #5's rows measure; a large guild sends presence only to subscribed sessions (`./run.sh bench cluster` measures that).");

            notes.Add("Receivers: one receive loop per socket into a 512-byte buffer; a message counts when its first chunk holds `PRESENCE_UPDATE` and the round's `\"status\":\"…\"` (no JSON parsing). Times run from just before the HTTP request is written to the moment the receive loop sees the frame, on the driver's clock.");
            notes.Add("\"first 1,000\": the time by which 1,000 of the receivers had the event (the 1,000th arrival), not a separate guild of 1,000; \"all\": the last arrival.");
            notes.Add(settings.MembersFirst
                ? "`--members-first`: the guild's memberships were inserted before the connections identified, so every identify published PRESENCE_UPDATE (ONLINE) to every member already online."
                : "The guild's memberships are inserted after the connections identified (run with `--members-first` for the other order): with them first, each identify publishes PRESENCE_UPDATE (ONLINE) to every member already online, about n²/2 = " +
                  $"{(long)n * n / 2:N0} frames for n = {n:N0}, which is a separate (connect-storm) measurement from the idle and fan-out rows here.");
            return await table.WriteReportAsync(
                "Gateway benchmark results",
                string.Create(CultureInfo.InvariantCulture, $"`./run.sh bench gateway` on {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores ({Environment.OSVersion}, .NET {Environment.Version}); ") +
                    "server in Release as its own process on loopback; the driver (this process) holds every WebSocket and shares the cores with it.",
                notes,
                Path.Combine(root, settings.Output));
        }
        finally
        {
            foreach (var socket in sockets)
            {
                socket?.Abort();
                socket?.Dispose();
            }

            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(work, recursive: true);
        }
    }

    private static async Task<ClientWebSocket> ConnectAndIdentifyAsync(Uri uri, string token, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero; // the server pings; the client answers while its receive is pending
        await socket.ConnectAsync(uri, cancellationToken).ConfigureAwait(false);
        var frame = Encoding.UTF8.GetBytes($$"""{"jsonrpc":"2.0","method":"users.identify","params":{"token":"{{token}}"},"id":1}""");
        await socket.SendAsync(frame, WebSocketMessageType.Text, true, cancellationToken).ConfigureAwait(false);
        var buffer = new byte[16 * 1024];
        while (true)
        {
            // READY comes first, then the reply: read messages until the one with "id":1.
            var length = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer.AsMemory(Math.Min(length, buffer.Length - 1024)), cancellationToken).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    throw new InvalidOperationException($"the server closed a connection during identify: {socket.CloseStatus} {socket.CloseStatusDescription}");
                }

                length = Math.Min(length, buffer.Length - 1024) + result.Count;
            }
            while (!result.EndOfMessage);

            var message = buffer.AsSpan(0, length);
            if (message.IndexOf("\"id\":1"u8) >= 0)
            {
                return message.IndexOf("\"result\""u8) >= 0
                    ? socket
                    : throw new InvalidOperationException("users.identify failed: " + Encoding.UTF8.GetString(message));
            }
        }
    }

    /// <summary>Waits until the process uses less than 5% of a core over half a second (or the timeout passes); returns how long it took.</summary>
    private static async Task<TimeSpan> WaitForIdleAsync(int pid, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            var cpu = new CpuMeter(pid);
            await Task.Delay(500);
            if (cpu.Cores().Server < 0.05)
            {
                break;
            }
        }

        return watch.Elapsed;
    }

    /// <summary>The receive side: one loop per socket, arrival times of the current round's event.</summary>
    private sealed class Receivers(int count)
    {
        private readonly long[] arrivals = new long[count];
        private byte[] marker = [];
        private long start;
        private int received;
        private int open;
        private TaskCompletionSource all = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Open => Volatile.Read(ref open);

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

        /// <summary>Milliseconds until the <paramref name="first"/>-th arrival and the last one, and how many arrived.</summary>
        public (double First, double All, int Received) Times(int first)
        {
            var times = arrivals.Where(t => t != 0).Order().ToArray();
            double Ms(long t) => (t - start) * 1000.0 / Stopwatch.Frequency;
            return (times.Length >= first ? Ms(times[first - 1]) : double.NaN, times.Length > 0 ? Ms(times[^1]) : double.NaN, times.Length);
        }

        public async Task ReceiveLoopAsync(ClientWebSocket socket, int index)
        {
            Interlocked.Increment(ref open);
            var buffer = new byte[512];
            try
            {
                while (true)
                {
                    var result = await socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None).ConfigureAwait(false);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        return;
                    }

                    var first = result.Count;
                    var span = buffer.AsSpan(0, first);
                    while (!result.EndOfMessage)
                    {
                        result = await socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None).ConfigureAwait(false);
                    }

                    var now = Stopwatch.GetTimestamp();
                    span = buffer.AsSpan(0, Math.Min(first, buffer.Length));
                    if (span.IndexOf("PRESENCE_UPDATE"u8) >= 0 && span.IndexOf(Volatile.Read(ref marker)) >= 0 && arrivals[index] == 0)
                    {
                        arrivals[index] = now;
                        if (Interlocked.Increment(ref received) == arrivals.Length)
                        {
                            all.TrySetResult();
                        }
                    }
                }
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
            finally
            {
                Interlocked.Decrement(ref open);
            }
        }
    }
}
