using System.ComponentModel.DataAnnotations;

namespace Rpc.Server.Gateway;

/// <summary>Gateway settings (configuration section <c>Gateway</c>).</summary>
public sealed class GatewayOptions
{
    public const string Section = "Gateway";

    /// <summary>The server pings a WebSocket at most this long after the last frame it received from it. Default 20 s, at least 2 s.</summary>
    [Range(typeof(TimeSpan), "00:00:02", "01:00:00")]
    public TimeSpan PingInterval { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// A ping not answered within this long drops the connection, so a dead socket is dropped at most
    /// <see cref="PingInterval"/> + this after its last frame. Default 60 s, at least 2 s.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:02", "01:00:00")]
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a disconnected gateway session can be resumed. Default 2 minutes.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan ResumeWindow { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How many recent events each session keeps for a resume. Default 200.</summary>
    [Range(0, 100_000)]
    public int ReplayBufferSize { get; set; } = 200;

    /// <summary>Frames queued for one connection before it counts as a slow consumer and is closed (4008). Default 1024.</summary>
    [Range(16, 1_000_000)]
    public int MaxQueuedFrames { get; set; } = 1024;

    /// <summary>How long after a user's last connection closes before it shows as OFFLINE. Default 5 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan PresenceGracePeriod { get; set; } = TimeSpan.FromSeconds(5);
}
