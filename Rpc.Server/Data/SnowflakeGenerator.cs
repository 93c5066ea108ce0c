using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Rpc.Server.Data;

/// <summary>
/// 64-bit, time-ordered ids: 41 bits of milliseconds since <see cref="SnowflakeOptions.Epoch"/>,
/// 10 bits of worker id, 12 bits of sequence. Lock-free and unique under concurrency; if the clock
/// steps back, ids keep counting from the last timestamp issued.
/// </summary>
public sealed class SnowflakeGenerator
{
    private const int WorkerBits = 10;
    private const int SequenceBits = 12;
    private const long SequenceMask = (1L << SequenceBits) - 1;
    private readonly TimeProvider clock;
    private readonly long epochMs;
    private readonly long worker;
    private long last;

    public SnowflakeGenerator(IOptions<SnowflakeOptions> options, TimeProvider clock)
    {
        this.clock = clock;
        epochMs = options.Value.Epoch.ToUnixTimeMilliseconds();
        worker = (long)options.Value.WorkerId << SequenceBits;
    }

    public long Next()
    {
        while (true)
        {
            var previous = Volatile.Read(ref last);
            // The state is milliseconds << 12 | sequence, so a sequence overflow carries into the next millisecond.
            var now = (clock.NowMilliseconds() - epochMs) << SequenceBits;
            var candidate = now > previous ? now : previous + 1;
            if (Interlocked.CompareExchange(ref last, candidate, previous) == previous)
            {
                return ((candidate >> SequenceBits) << (WorkerBits + SequenceBits)) | worker | (candidate & SequenceMask);
            }
        }
    }

    /// <summary>The time an id was made at.</summary>
    public DateTimeOffset TimeOf(long id) => DateTimeOffset.FromUnixTimeMilliseconds((id >> (WorkerBits + SequenceBits)) + epochMs);
}

/// <summary>Snowflake settings (configuration section <c>Snowflake</c>).</summary>
public sealed class SnowflakeOptions
{
    public const string Section = "Snowflake";

    /// <summary>This node's worker id, 0 to 1023; every node of one deployment needs its own. Default 0.</summary>
    [Range(0, 1023)]
    public int WorkerId { get; set; }

    /// <summary>The instant ids count from. Default 2020-01-01T00:00:00Z.</summary>
    public DateTimeOffset Epoch { get; set; } = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);
}
