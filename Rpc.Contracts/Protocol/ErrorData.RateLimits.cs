namespace Rpc.Contracts.Protocol;

/// <summary>The <c>data</c> strings of rate limits and connection limits.</summary>
public static partial class ErrorData
{
    /// <summary>
    /// Every rate-limit <c>data</c> string starts with this, then the whole seconds to wait, then
    /// <c> seconds: </c> and what was limited; over HTTP the same seconds are the <c>Retry-After</c> header.
    /// </summary>
    public const string RateLimitedPrefix = "rate limited: retry after ";

    /// <summary>A rate-limit <c>data</c> string: <see cref="RateLimitedPrefix"/>, the seconds, and what was limited.</summary>
    /// <param name="seconds">Whole seconds until the call may succeed.</param>
    /// <param name="what">What was limited, in a few words.</param>
    public static string RateLimited(int seconds, string what) => $"{RateLimitedPrefix}{seconds} seconds: {what}";

    /// <summary>The seconds of a rate-limit <c>data</c> string; null for any other.</summary>
    /// <param name="data">An error's <c>data</c>.</param>
    public static int? RetryAfterSeconds(string data)
    {
        if (!data.StartsWith(RateLimitedPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        var rest = data.AsSpan(RateLimitedPrefix.Length);
        var end = rest.IndexOf(' ');
        return end > 0 && int.TryParse(rest[..end], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds) ? seconds : null;
    }

    /// <summary>users.auth: too many failed logins for this username or from this address; says when to retry.</summary>
    /// <param name="seconds">Seconds until one more attempt is allowed.</param>
    public static string TooManyLoginAttempts(int seconds) => RateLimited(seconds, "too many failed login attempts");

    /// <summary>users.create: too many accounts created from this address; says when to retry.</summary>
    /// <param name="seconds">Seconds until one more account may be created.</param>
    public static string TooManyAccountsCreated(int seconds) => RateLimited(seconds, "too many accounts created from this address");

    /// <summary>users.presence: the user changed its presence too often; says when to retry.</summary>
    /// <param name="seconds">Seconds until one more change is allowed.</param>
    public static string TooManyPresenceChanges(int seconds) => RateLimited(seconds, "too many presence changes");

    /// <summary>
    /// Any request (HTTP 429 with <c>Retry-After</c>; on a WebSocket the close 4029 carries it): the client's address
    /// sent more than its pace (<c>Rpc:PacedBytesPerSecondPerAddress</c>) for longer than the server lets a message
    /// wait. Nothing of the refused message was run.
    /// </summary>
    /// <param name="seconds">Seconds until a message of the same size would be taken.</param>
    public static string AddressSendsTooMuch(int seconds) => RateLimited(seconds, "this address sends more than the server reads from one address");

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

    /// <summary>Any request on a TCP connection beyond the address's limit (HTTP 429, then the connection closes).</summary>
    public const string TooManyHttpConnectionsFromAddress = "too many connections from this address";

    /// <summary>WebSocket upgrade refused (HTTP 429): this address holds its maximum of WebSocket connections.</summary>
    public const string TooManyConnectionsFromAddress = "too many WebSocket connections from this address";

    /// <summary>A batch member that was not run because the batch's reply already passed its byte limit (-32600).</summary>
    /// <param name="bytes">The limit, <c>Rpc:MaxBatchReplyBytes</c>.</param>
    public static string BatchReplyTooLarge(int bytes) => $"the batch reply passed {bytes} bytes; this request was not run";
}
