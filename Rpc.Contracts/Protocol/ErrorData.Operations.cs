namespace Rpc.Contracts.Protocol;

/// <summary>The <c>data</c> strings of refusals that come from how the server is deployed.</summary>
public static partial class ErrorData
{
    /// <summary>WebSocket upgrade refused (HTTP 403): the page's origin is not in <c>Server:AllowedOrigins</c>.</summary>
    public const string OriginNotAllowed = "this origin may not open a WebSocket here (Server:AllowedOrigins)";

    /// <summary>WebSocket upgrade refused (HTTP 503): the server is shutting down; connect again in a moment.</summary>
    public const string ServerRestarting = "the server is restarting; connect again in a moment";
}
