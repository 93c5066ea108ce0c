namespace Rpc.Bench;

/// <summary>
/// A lock-free latency histogram with 10 µs buckets up to 2 s (longer samples land in the last bucket),
/// shared by all workers, so recording a sample allocates nothing.
/// </summary>
public sealed class LatencyHistogram
{
    private const long BucketTicks = TimeSpan.TicksPerMillisecond / 100;
    private readonly long[] buckets = new long[200_000];
    private long count;

    public long Count => Volatile.Read(ref count);

    public void Record(long elapsedTicks)
    {
        var bucket = Math.Clamp(elapsedTicks / BucketTicks, 0, buckets.Length - 1);
        Interlocked.Increment(ref buckets[bucket]);
        Interlocked.Increment(ref count);
    }

    /// <summary>The <paramref name="quantile"/> latency in milliseconds (upper edge of its bucket).</summary>
    public double QuantileMs(double quantile)
    {
        var total = Count;
        if (total == 0)
        {
            return double.NaN;
        }

        var target = (long)Math.Ceiling(total * quantile);
        long seen = 0;
        for (var i = 0; i < buckets.Length; i++)
        {
            seen += buckets[i];
            if (seen >= target)
            {
                return (i + 1) * BucketTicks / (double)TimeSpan.TicksPerMillisecond;
            }
        }

        return buckets.Length * BucketTicks / (double)TimeSpan.TicksPerMillisecond;
    }
}

/// <summary>What one load phase measured.</summary>
public sealed record LoadResult(double RequestsPerSecond, double P50Ms, double P99Ms, double DriverCores, double ServerCores, long Errors)
{
    public string Describe() => $"{RequestsPerSecond:N0}/s, p50 {P50Ms:0.00} ms, p99 {P99Ms:0.00} ms";

    public string Cpu() => $"driver {DriverCores:0.00} cores, server {ServerCores:0.00} cores";

    /// <summary>The mean of several rounds of one measurement (errors summed).</summary>
    public static LoadResult Mean(IReadOnlyList<LoadResult> rounds) => new(
        rounds.Average(r => r.RequestsPerSecond), rounds.Average(r => r.P50Ms), rounds.Average(r => r.P99Ms),
        rounds.Average(r => r.DriverCores), rounds.Average(r => r.ServerCores), rounds.Sum(r => r.Errors));
}

/// <summary>Counts CPU time of the driver and of the process under test across one phase.</summary>
public sealed class CpuMeter
{
    private readonly int? serverPid;
    private readonly TimeSpan driverStart;
    private readonly double serverStart;
    private readonly long wallStart;

    public CpuMeter(int? serverPid)
    {
        this.serverPid = serverPid;
        driverStart = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
        serverStart = serverPid is { } pid ? ProcessStats.CpuSeconds(pid) : 0;
        wallStart = System.Diagnostics.Stopwatch.GetTimestamp();
    }

    public (double Driver, double Server) Cores()
    {
        var wall = System.Diagnostics.Stopwatch.GetElapsedTime(wallStart).TotalSeconds;
        var driver = (System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - driverStart).TotalSeconds;
        var server = serverPid is { } pid ? ProcessStats.CpuSeconds(pid) - serverStart : 0;
        return (driver / wall, server / wall);
    }
}

/// <summary>Reads /proc for another process's resident size and CPU time.</summary>
public static class ProcessStats
{
    /// <summary>A field of /proc/PID/status in KiB (VmRSS, VmHWM), as MiB.</summary>
    public static double StatusMiB(int pid, string field)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                var kib = long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
                return kib / 1024.0;
            }
        }

        return double.NaN;
    }

    /// <summary>User plus system CPU seconds of a process, from /proc/PID/stat.</summary>
    public static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // After the command name: state is field 3, utime field 14, stime field 15 (1-based in proc(5)).
        var ticks = long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
        return ticks / 100.0;
    }
}
