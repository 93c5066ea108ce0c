using Microsoft.Extensions.Options;
using Rpc.Server.Dispatch;
using Rpc.Server.Operations;
using Rpc.Server.Security;

namespace Rpc.Server.Transport;

/// <summary>
/// Paces what each client address sends, over HTTP and WebSocket together: a byte bucket per address
/// (<see cref="RpcLimitsOptions.PacedBytesPerSecondPerAddress"/>, its burst, a fixed overhead per message). A message
/// past the burst waits until its bytes are paid back before it is processed, and the connection that carried it
/// reads nothing more meanwhile, so a flooding address waits in TCP rather than in the server's CPU; a message that
/// would wait longer than <see cref="RpcLimitsOptions.MaxPacingWaitSeconds"/> is refused. Other addresses are not
/// slowed at all.
/// </summary>
public sealed class AddressPacer
{
    private const int MaxTrackedAddresses = 100_000;
    private readonly TokenBucketLimiter? buckets;
    private readonly int overhead;
    private readonly TimeSpan maxWait;
    private readonly TimeProvider clock;

    public AddressPacer(IOptions<RpcLimitsOptions> options, TimeProvider clock)
    {
        this.clock = clock;
        var o = options.Value;
        overhead = o.PacedMessageOverheadBytes;
        maxWait = TimeSpan.FromSeconds(o.MaxPacingWaitSeconds);
        if (o.PacedBytesPerSecondPerAddress > 0)
        {
            buckets = new TokenBucketLimiter(new BucketOptions { Burst = o.PacedBurstBytesPerAddress, RefillSeconds = 1.0 / o.PacedBytesPerSecondPerAddress }, MaxTrackedAddresses, clock);
        }
    }

    /// <summary>The longest a message waits for its turn; null when pacing is off.</summary>
    public TimeSpan? MaxWait => buckets is null ? null : maxWait;

    /// <summary>
    /// Counts a message of <paramref name="bytes"/> from <paramref name="addressKey"/> and waits for its turn; false,
    /// counting nothing, when the turn is further away than the longest wait (<paramref name="retryAfterSeconds"/>
    /// then says when a message would be accepted again).
    /// </summary>
    /// <param name="addressKey">The client's address key.</param>
    /// <param name="bytes">The message's bytes.</param>
    /// <param name="cancellationToken">Ends the wait.</param>
    /// <param name="overhead">Whether to count <see cref="RpcLimitsOptions.PacedMessageOverheadBytes"/> too (false for the rest of a message counted before).</param>
    public async ValueTask<(bool Accepted, int RetryAfterSeconds)> WaitTurnAsync(string addressKey, long bytes, CancellationToken cancellationToken, bool overhead = true)
    {
        if (buckets is null)
        {
            return (true, 0);
        }

        var (taken, wait) = buckets.Charge(addressKey, bytes + (overhead ? this.overhead : 0), maxWait);
        if (!taken)
        {
            ServerMetrics.RateLimited("address_pace");
            return (false, Math.Max(1, (int)Math.Ceiling((wait - maxWait).TotalSeconds)));
        }

        if (wait > TimeSpan.Zero)
        {
            ServerMetrics.Paced(wait);
            await Task.Delay(wait, clock, cancellationToken).ConfigureAwait(false);
        }

        return (true, 0);
    }
}
