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
}
