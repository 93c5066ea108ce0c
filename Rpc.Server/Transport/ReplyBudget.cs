using Microsoft.Extensions.Options;
using Rpc.Server.Gateway;

namespace Rpc.Server.Transport;

/// <summary>
/// The bytes of replies queued on every WebSocket of the server together, bounded by
/// <see cref="GatewayOptions.MaxQueuedReplyBytesTotal"/>: each connection's own bound alone would let a hundred
/// clients that never read hold a hundred times it.
/// </summary>
public sealed class ReplyBudget(IOptions<GatewayOptions> options)
{
    private long queued;

    /// <summary>The bound, in bytes.</summary>
    public long Limit { get; } = options.Value.MaxQueuedReplyBytesTotal;

    /// <summary>Bytes of replies queued now.</summary>
    public long Queued => Interlocked.Read(ref queued);

    /// <summary>Counts <paramref name="bytes"/> more (or fewer, when negative); returns the new total.</summary>
    public long Add(long bytes) => Interlocked.Add(ref queued, bytes);
}
