namespace Rpc.Contracts.Protocol;

/// <summary>The <c>data</c> strings of rate limits and connection limits.</summary>
public static partial class ErrorData
{
    /// <summary>users.auth: too many failed logins for this username or from this address; says when to retry.</summary>
    /// <param name="seconds">Seconds until one more attempt is allowed.</param>
    public static string TooManyLoginAttempts(int seconds) => $"too many failed login attempts; retry after {seconds} seconds";

    /// <summary>users.create: too many accounts created from this address; says when to retry.</summary>
    /// <param name="seconds">Seconds until one more account may be created.</param>
    public static string TooManyAccountsCreated(int seconds) => $"too many accounts created from this address; retry after {seconds} seconds";

    /// <summary>users.presence: the user changed its presence too often; says when to retry.</summary>
    /// <param name="seconds">Seconds until one more change is allowed.</param>
    public static string TooManyPresenceChanges(int seconds) => $"too many presence changes; retry after {seconds} seconds";

    /// <summary>WebSocket upgrade refused (HTTP 503): the server holds its maximum of WebSocket connections.</summary>
    public const string TooManyConnections = "too many WebSocket connections on the server; retry later";

    /// <summary>Any request on a TCP connection beyond the address's limit (HTTP 429, then the connection closes).</summary>
    public const string TooManyHttpConnectionsFromAddress = "too many connections from this address";

    /// <summary>WebSocket upgrade refused (HTTP 429): this address holds its maximum of WebSocket connections.</summary>
    public const string TooManyConnectionsFromAddress = "too many WebSocket connections from this address";

    /// <summary>A batch member that was not run because the batch's reply already passed its byte limit (-32600).</summary>
    /// <param name="bytes">The limit, <c>Rpc:MaxBatchReplyBytes</c>.</param>
    public static string BatchReplyTooLarge(int bytes) => $"the batch reply passed {bytes} bytes; this request was not run";
}
