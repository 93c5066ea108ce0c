using System.ComponentModel.DataAnnotations;

namespace Rpc.Server.Operations;

/// <summary>Who may read <c>GET /metrics</c> (configuration section <c>Metrics</c>).</summary>
public sealed class MetricsOptions
{
    public const string Section = "Metrics";

    /// <summary>Loopback, the default when <see cref="AllowedNetworks"/> is empty.</summary>
    public static readonly string[] Loopback = ["127.0.0.0/8", "::1/128"];

    /// <summary>Client addresses or CIDR ranges allowed to scrape; others get 403. Empty: loopback only.</summary>
    public string[] AllowedNetworks { get; set; } = [];

    /// <summary>
    /// Also export ASP.NET Core's per-request <c>http.server.*</c> metrics (every HTTP request's duration by status
    /// and route, requests in flight). Off by default: each JSON-RPC call is already counted in
    /// <c>rpc.server.call.duration</c> and each HTTP refusal in <c>rpc.http.refusals</c>, and the duplicate costs every
    /// call about 3 % more CPU (issue #18).
    /// </summary>
    public bool HttpRequests { get; set; }

    /// <summary>The networks in effect.</summary>
    public string[] EffectiveAllowedNetworks => AllowedNetworks.Length == 0 ? Loopback : AllowedNetworks;
}

/// <summary>Where traces and metrics go besides <c>/metrics</c> (configuration section <c>Telemetry</c>).</summary>
public sealed class TelemetryOptions
{
    public const string Section = "Telemetry";

    /// <summary>An OTLP collector (e.g. <c>http://127.0.0.1:4317</c>); unset: no export. The standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> works too.</summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary><c>grpc</c> (default, port 4317) or <c>http/protobuf</c> (port 4318).</summary>
    [RegularExpression("^(grpc|http/protobuf)$")]
    public string OtlpProtocol { get; set; } = "grpc";
}
