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

    /// <summary>
    /// Any method that checks or sets a password: the password-hash queue (or this address's share of it)
    /// is full. Nothing was changed; send the call again shortly.
    /// </summary>
    public const string ServerBusy = "the server is busy; retry in a moment";

    /// <summary>
    /// A method that checks or sets a password, in a message (a request or a whole batch) that already
    /// used its password hashes (<c>Passwords:MaxHashesPerMessage</c>, 4 by default).
    /// </summary>
    public const string TooManyPasswordChecks = "too many password checks in one message";

    /// <summary>WebSocket upgrade refused (HTTP 503): the server holds its maximum of WebSocket connections.</summary>
    public const string TooManyConnections = "too many WebSocket connections on the server; retry later";

    /// <summary>WebSocket upgrade refused (HTTP 429): this address holds its maximum of WebSocket connections.</summary>
    public const string TooManyConnectionsFromAddress = "too many WebSocket connections from this address";
}
