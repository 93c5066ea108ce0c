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

    /// <summary>
    /// Bytes of recent events each session keeps for a resume, besides <see cref="ReplayBufferSize"/>: the
    /// oldest go first, and a resume that needs them is refused. Default 1 MiB.
    /// </summary>
    [Range(0, 1024L * 1024 * 1024)]
    public long ReplayBufferBytes { get; set; } = 1024 * 1024;

    /// <summary>Frames queued for one connection before it counts as a slow consumer and is closed (4008). Default 1024.</summary>
    [Range(16, 1_000_000)]
    public int MaxQueuedFrames { get; set; } = 1024;

    /// <summary>
    /// Bytes queued for one connection (replies and events) before it counts as a slow consumer and is closed
    /// (4008). A single frame larger than this is still sent when nothing else waits. Default 4 MiB.
    /// </summary>
    [Range(64 * 1024, 1024L * 1024 * 1024)]
    public long MaxQueuedBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>
    /// Bytes of replies queued on all connections together. Past it, a connection that already has something
    /// queued counts as a slow consumer and is closed (4008); a connection with an empty queue still gets its
    /// reply. Events are not counted: their bytes are shared by every receiver. Default 64 MiB.
    /// </summary>
    [Range(1024 * 1024, 64L * 1024 * 1024 * 1024)]
    public long MaxQueuedReplyBytesTotal { get; set; } = 64 * 1024 * 1024;

    /// <summary>
    /// Bytes of replies not yet written on all the WebSockets of one client address (IPv6: one /64), counting
    /// the one being written: a reply that would pass it while the address has others waiting closes its
    /// connection as a slow consumer (4008). Without it a hundred sockets that never read held one reply each
    /// however low the server-wide bound. At least the largest batch reply (<c>Rpc:MaxBatchReplyBytes</c>).
    /// Default 16 MiB.
    /// </summary>
    [Range(64 * 1024, 64L * 1024 * 1024 * 1024)]
    public long MaxQueuedReplyBytesPerAddress { get; set; } = 16 * 1024 * 1024;

    /// <summary>
    /// How long one frame may take to go out: a client that reads nothing for this long is closed (4008)
    /// rather than holding its queue. Default 10 s.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The kernel's send buffer of each WebSocket (SO_SNDBUF), in bytes; 0 leaves the system's, which grows to
    /// <c>net.ipv4.tcp_wmem</c>'s maximum (4 MiB on Linux). A write only waits once the client's receive window and
    /// this buffer are full, so with megabytes of buffer a client that reads nothing took several replies before
    /// <see cref="SendTimeout"/> could notice it (issue #11's bench: 14 of 100 such sockets still open after 60 s).
    /// Default 256 KiB, enough for full speed over most paths.
    /// </summary>
    [Range(0, 64 * 1024 * 1024)]
    public int SocketSendBufferBytes { get; set; } = 256 * 1024;
}
