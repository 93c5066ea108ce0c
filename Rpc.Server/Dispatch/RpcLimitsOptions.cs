using System.ComponentModel.DataAnnotations;

namespace Rpc.Server.Dispatch;

/// <summary>Protocol limits (configuration section <c>Rpc</c>).</summary>
public sealed class RpcLimitsOptions
{
    public const string Section = "Rpc";

    /// <summary>Largest HTTP body or WebSocket message, in bytes. Default 1 MiB.</summary>
    [Range(1024, 64 * 1024 * 1024)]
    public int MaxRequestBytes { get; set; } = 1024 * 1024;

    /// <summary>Most members in one batch. Default 100.</summary>
    [Range(1, 10_000)]
    public int MaxBatchSize { get; set; } = 100;

    /// <summary>Deepest JSON nesting accepted in a request. Default 64.</summary>
    [Range(4, 256)]
    public int MaxJsonDepth { get; set; } = 64;

    /// <summary>Most requests one WebSocket connection may have running at once; further frames wait. Default 32.</summary>
    [Range(1, 1024)]
    public int MaxInFlightPerConnection { get; set; } = 32;

    /// <summary>
    /// Bytes of messages one WebSocket connection may have being processed; the next message is not read
    /// until they drop below it (at least one always runs). Default 1 MiB.
    /// </summary>
    [Range(1024, 256 * 1024 * 1024)]
    public int MaxInFlightBytesPerConnection { get; set; } = 1024 * 1024;

    /// <summary>
    /// Bytes of messages all the WebSockets of one client address (IPv6: one /64) may have being read or
    /// processed together. A message longer than one read waits, in order, until the largest message
    /// (<see cref="MaxRequestBytes"/>) fits beside the address's others (or it has none), so many connections
    /// cannot multiply <see cref="MaxInFlightBytesPerConnection"/>. Default 4 MiB.
    /// </summary>
    [Range(1024, 1024 * 1024 * 1024)]
    public int MaxInFlightBytesPerAddress { get; set; } = 4 * 1024 * 1024;

    /// <summary>
    /// Bytes of WebSocket messages being read or processed on all connections together: the per-address bound times the
    /// addresses of a distributed flood (100 addresses of 100 sockets each) would otherwise be 400 MiB. A message longer
    /// than one read waits for room here too (and is closed with 4029 past <see cref="MaxPacingWaitSeconds"/>).
    /// Default 128 MiB.
    /// </summary>
    [Range(1024 * 1024, int.MaxValue)]
    public int MaxInFlightBytesTotal { get; set; } = 128 * 1024 * 1024;

    /// <summary>
    /// WebSocket messages longer than this are processed one at a time per client address (IPv6: one /64): parsing
    /// and answering a message costs CPU in proportion to its size, so one address's large messages keep at most one
    /// thread (one core) busy however many connections carry them, and the other addresses' calls find the rest.
    /// Default 64 KiB.
    /// </summary>
    [Range(4096, 1024 * 1024 * 1024)]
    public int LargeMessageBytes { get; set; } = 64 * 1024;

    /// <summary>
    /// Largest reply to a batch, in bytes: once the reply passes it, the members not yet run are answered
    /// with an error instead, so a batch of cheap calls with big results cannot make the server build an
    /// unbounded reply. Default 8 MiB.
    /// </summary>
    [Range(64 * 1024, 256 * 1024 * 1024)]
    public int MaxBatchReplyBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>
    /// Bytes per second one client address (IPv6: one /64) may send in HTTP bodies and WebSocket messages together,
    /// each message also counting <see cref="PacedMessageOverheadBytes"/>; past its burst a message waits for its
    /// turn, and one that would wait longer than <see cref="MaxPacingWaitSeconds"/> is refused (HTTP 429 with
    /// <c>Retry-After</c>, WebSocket close 4029). Reading a flood costs the server CPU in the kernel and the runtime
    /// before any limit of a method can see it: 100 sockets sending 1 MB batches kept about one core busy with socket
    /// reads, and other addresses' calls waited behind them (issue #11's bench). 0 turns pacing off. Default 1 MiB/s.
    /// </summary>
    [Range(0, int.MaxValue)]
    public int PacedBytesPerSecondPerAddress { get; set; } = 1024 * 1024;

    /// <summary>Bytes one client address may send at once before pacing starts. Default 8 MiB.</summary>
    [Range(1024, int.MaxValue)]
    public int PacedBurstBytesPerAddress { get; set; } = 8 * 1024 * 1024;

    /// <summary>
    /// What each HTTP request or WebSocket message counts beyond its own bytes, for the work every message costs
    /// (with the defaults an address sends about 1,000 small messages a second, 8,000 at once). Default 1024.
    /// </summary>
    [Range(0, 1024 * 1024)]
    public int PacedMessageOverheadBytes { get; set; } = 1024;

    /// <summary>Longest a message waits for its address's pace before it is refused instead. Default 10.</summary>
    [Range(0.1, 300)]
    public double MaxPacingWaitSeconds { get; set; } = 10;
}
