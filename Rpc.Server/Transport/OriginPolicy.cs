using Microsoft.Extensions.Options;

namespace Rpc.Server.Transport;

/// <summary>
/// <c>Server:AllowedOrigins</c>: the browser origins (<c>https://chat.example.org</c>, or <c>*</c>) that
/// may call <c>POST /rpc</c> (CORS) and open WebSockets. A request without an <c>Origin</c> header (a
/// bot, curl) is never affected, and neither is a page the server serves itself (same origin). With the
/// list empty, CORS is off and WebSocket upgrades are not checked.
/// </summary>
public sealed class OriginPolicy(IOptions<ServerOptions> options)
{
    public const string CorsPolicyName = "rpc";

    private readonly HashSet<string> origins = new(options.Value.AllowedOrigins.Select(Normalize), StringComparer.OrdinalIgnoreCase);

    /// <summary>Whether any origin is configured.</summary>
    public bool Enabled => origins.Count > 0;

    /// <summary>Whether every origin is allowed (<c>*</c>).</summary>
    public bool AnyOrigin => origins.Contains("*");

    /// <summary>The configured origins, for the CORS policy.</summary>
    public string[] Origins => [.. origins];

    /// <summary>Whether a WebSocket upgrade with this request's Origin header may proceed.</summary>
    public bool AllowsUpgrade(HttpRequest request)
    {
        var origin = request.Headers.Origin.ToString();
        if (!Enabled || AnyOrigin || origin.Length == 0 || origins.Contains(Normalize(origin)))
        {
            return true;
        }

        // Same origin: the server's own pages.
        return Uri.TryCreate(origin, UriKind.Absolute, out var uri)
            && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase);
    }

    private static string Normalize(string origin) => origin.Trim().TrimEnd('/');
}
