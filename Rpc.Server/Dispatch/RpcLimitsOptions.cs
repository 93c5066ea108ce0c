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
}
