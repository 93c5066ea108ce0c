using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;

namespace Rpc.Bench;

/// <summary>Closed- and open-loop load over raw HTTP connections and WebSockets.</summary>
public static class LoadDriver
{
    /// <summary>
    /// <paramref name="connections"/> keep-alive connections, each sending the next request as soon as
    /// the last reply arrives (requests rotate through <paramref name="requests"/>). Samples after the warm-up only.
    /// </summary>
    public static async Task<LoadResult> HttpClosedLoopAsync(IPEndPoint endpoint, IReadOnlyList<byte[]> requests, int connections, TimeSpan warmup, TimeSpan duration, int? serverPid, Func<ReadOnlyMemory<byte>, bool>? check = null)
    {
        var window = new MeasurementWindow();
        var clients = await Task.WhenAll(Enumerable.Range(0, connections).Select(_ => RawHttpConnection.ConnectAsync(endpoint))).ConfigureAwait(false);
        var workers = clients.Select((client, index) => Task.Run(async () =>
        {
            var next = index;
            while (!window.Stopped)
            {
                var request = requests[next++ % requests.Count];
                var started = Stopwatch.GetTimestamp();
                await client.SendAsync(request).ConfigureAwait(false);
                var elapsed = Stopwatch.GetTimestamp() - started;
                if (client.Status != 200 || (check is not null && !check(client.Body)))
                {
                    window.Error();
                }

                window.Record(elapsed);
            }
        })).ToArray();

        var result = await window.MeasureAsync(workers, warmup, duration, serverPid).ConfigureAwait(false);
        foreach (var client in clients)
        {
            client.Dispose();
        }

        return result;
    }

    /// <summary>
    /// Open loop at <paramref name="rate"/> requests per second in total. One pacing thread starts each request at
    /// its scheduled time on an idle connection of <paramref name="connections"/>, so the schedule does not depend
    /// on how fast replies come back (no coordinated omission): a request that had to wait for a free connection
    /// counts its latency from the scheduled time, any other from the moment it was written. The pacer sleeps in
    /// steps of a millisecond and sends what fell due meanwhile, so the driver costs one wake-up per millisecond
    /// instead of a timer per request, and its own wake-up slack is not charged to the server.
    /// </summary>
    public static async Task<LoadResult> HttpOpenLoopAsync(IPEndPoint endpoint, IReadOnlyList<byte[]> requests, int connections, double rate, TimeSpan warmup, TimeSpan duration, int? serverPid)
    {
        var histogram = new LatencyHistogram();
        long errors = 0;
        var clients = await Task.WhenAll(Enumerable.Range(0, connections).Select(_ => RawHttpConnection.ConnectAsync(endpoint))).ConfigureAwait(false);
        var idle = new ConcurrentStack<RawHttpConnection>(clients);
        using var free = new SemaphoreSlim(connections);
        var interval = Stopwatch.Frequency / rate;
        var origin = Stopwatch.GetTimestamp();
        var warmupEnd = origin + (long)(warmup.TotalSeconds * Stopwatch.Frequency);
        var end = warmupEnd + (long)(duration.TotalSeconds * Stopwatch.Frequency);

        async Task RunOneAsync(RawHttpConnection client, byte[] request, long from, bool record)
        {
            try
            {
                await client.SendAsync(request).ConfigureAwait(false);
                if (client.Status != 200)
                {
                    Interlocked.Increment(ref errors);
                }

                if (record)
                {
                    histogram.Record((Stopwatch.GetTimestamp() - from) * TimeSpan.TicksPerSecond / Stopwatch.Frequency);
                }
            }
            catch (Exception e) when (e is IOException or SocketException)
            {
                Interlocked.Increment(ref errors);
            }
            finally
            {
                idle.Push(client);
                free.Release();
            }
        }

        var pacer = new Thread(() =>
        {
            for (long n = 0; ; n++)
            {
                var scheduled = origin + (long)(n * interval);
                if (scheduled >= end)
                {
                    return;
                }

                while (Stopwatch.GetTimestamp() < scheduled)
                {
                    Thread.Sleep(1);
                }

                var waited = !free.Wait(0);
                if (waited)
                {
                    free.Wait();
                }

                idle.TryPop(out var client);
                var from = waited ? scheduled : Stopwatch.GetTimestamp();
                _ = RunOneAsync(client!, requests[(int)(n % requests.Count)], from, scheduled >= warmupEnd);
            }
        })
        { IsBackground = true, Name = "open-loop pacer" };
        pacer.Start();

        await Task.Delay(warmup).ConfigureAwait(false);
        var cpu = new CpuMeter(serverPid);
        await Task.Run(pacer.Join).ConfigureAwait(false);
        for (var i = 0; i < connections; i++)
        {
            // Every connection back in the idle set: the last replies are in.
            await free.WaitAsync().ConfigureAwait(false);
        }

        var (driver, server) = cpu.Cores();
        foreach (var client in clients)
        {
            client.Dispose();
        }

        return new LoadResult(histogram.Count / duration.TotalSeconds, histogram.QuantileMs(0.5), histogram.QuantileMs(0.99), driver, server, errors);
    }

    /// <summary>
    /// <paramref name="connections"/> WebSockets with <paramref name="inFlight"/> requests outstanding on each:
    /// every reply (matched by its numeric id) sends that slot's request again.
    /// </summary>
    public static async Task<LoadResult> WebSocketClosedLoopAsync(Uri uri, Func<int, string> frameForId, int connections, int inFlight, TimeSpan warmup, TimeSpan duration, int? serverPid)
    {
        var window = new MeasurementWindow();
        var frames = Enumerable.Range(0, inFlight).Select(i => Encoding.UTF8.GetBytes(frameForId(i))).ToArray();
        var sockets = await Task.WhenAll(Enumerable.Range(0, connections).Select(async _ =>
        {
            var socket = new ClientWebSocket();
            await socket.ConnectAsync(uri, CancellationToken.None).ConfigureAwait(false);
            return socket;
        })).ConfigureAwait(false);

        var workers = sockets.Select(socket => Task.Run(async () =>
        {
            var sentAt = new long[inFlight];
            var buffer = new byte[4096];
            for (var i = 0; i < inFlight; i++)
            {
                sentAt[i] = Stopwatch.GetTimestamp();
                await socket.SendAsync(frames[i], WebSocketMessageType.Text, true, CancellationToken.None).ConfigureAwait(false);
            }

            var outstanding = inFlight;
            while (outstanding > 0)
            {
                var length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None).ConfigureAwait(false);
                    length += result.Count;
                }
                while (!result.EndOfMessage);

                var id = IdOf(buffer.AsSpan(0, length));
                if (id < 0 || id >= inFlight)
                {
                    window.Error();
                    continue;
                }

                window.Record(Stopwatch.GetTimestamp() - sentAt[id]);
                if (window.Stopped)
                {
                    outstanding--;
                    continue;
                }

                sentAt[id] = Stopwatch.GetTimestamp();
                await socket.SendAsync(frames[id], WebSocketMessageType.Text, true, CancellationToken.None).ConfigureAwait(false);
            }
        })).ToArray();

        var result = await window.MeasureAsync(workers, warmup, duration, serverPid).ConfigureAwait(false);
        foreach (var socket in sockets)
        {
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).ConfigureAwait(false);
            socket.Dispose();
        }

        return result;
    }

    /// <summary>
    /// The closed loops' timing: workers run until <see cref="Stopped"/> and their samples count only inside
    /// the measured window that follows the warm-up, while the CPU of both processes is metered.
    /// </summary>
    private sealed class MeasurementWindow
    {
        private readonly LatencyHistogram histogram = new();
        private int recording;
        private int stopped;
        private long errors;

        public bool Stopped => Volatile.Read(ref stopped) == 1;

        public void Error() => Interlocked.Increment(ref errors);

        /// <summary>Records a latency in <see cref="Stopwatch"/> ticks when inside the window.</summary>
        public void Record(long elapsedStopwatchTicks)
        {
            if (Volatile.Read(ref recording) == 1)
            {
                histogram.Record(elapsedStopwatchTicks * TimeSpan.TicksPerSecond / Stopwatch.Frequency);
            }
        }

        public async Task<LoadResult> MeasureAsync(Task[] workers, TimeSpan warmup, TimeSpan duration, int? serverPid)
        {
            await Task.Delay(warmup).ConfigureAwait(false);
            var cpu = new CpuMeter(serverPid);
            var start = Stopwatch.GetTimestamp();
            Volatile.Write(ref recording, 1);
            await Task.Delay(duration).ConfigureAwait(false);
            Volatile.Write(ref recording, 0);
            var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            var count = histogram.Count;
            var (driver, server) = cpu.Cores();
            Volatile.Write(ref stopped, 1);
            await Task.WhenAll(workers).ConfigureAwait(false);
            return new LoadResult(count / seconds, histogram.QuantileMs(0.5), histogram.QuantileMs(0.99), driver, server, Interlocked.Read(ref errors));
        }
    }

    /// <summary>The digits after the first <c>"id":</c> of a reply.</summary>
    private static int IdOf(ReadOnlySpan<byte> reply)
    {
        var at = reply.IndexOf("\"id\":"u8);
        if (at < 0)
        {
            return -1;
        }

        var value = 0;
        var any = false;
        for (var i = at + 5; i < reply.Length && reply[i] is >= (byte)'0' and <= (byte)'9'; i++)
        {
            value = (value * 10) + (reply[i] - '0');
            any = true;
        }

        return any ? value : -1;
    }
}
