using System.ComponentModel.DataAnnotations;

namespace Rpc.Server.Events;

/// <summary>Several servers on one PostgreSQL database (configuration section <c>Cluster</c>); see README, "Several servers".</summary>
public sealed class ClusterOptions
{
    public const string Section = "Cluster";

    /// <summary>
    /// How long a server's claim on its users' presence lasts without renewal: a server that dies or loses the
    /// database drops out of the cluster's presence within this time. It renews at a third of it. Default 15 s.
    /// </summary>
    [Range(3, 3600)]
    public int LeaseSeconds { get; set; } = 15;

    /// <summary>
    /// How often a server reads the bus outbox without being woken: on PostgreSQL a safety net under NOTIFY, on
    /// SQLite how soon events of <c>./run.sh manage</c> reach the running server. Default 1 s.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan OutboxPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long bus messages stay in the outbox (<c>bus_outbox</c>) before they are trimmed. Default 10 minutes.</summary>
    [Range(typeof(TimeSpan), "00:00:10", "7.00:00:00")]
    public TimeSpan OutboxRetention { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// This server's own WebSocket address, sent in READY as <c>resume_gateway_url</c> so that a client behind a
    /// load balancer resumes on the server that holds its session. Default none (READY carries null).
    /// </summary>
    [RegularExpression(@"^wss?://\S+$", ErrorMessage = "Cluster:ResumeGatewayUrl must be a ws:// or wss:// address")]
    public string? ResumeGatewayUrl { get; set; }
}
