namespace Rpc.Contracts.Protocol;

public static partial class ErrorData
{
    /// <summary>gateway.*: the method needs a WebSocket connection.</summary>
    public const string WebSocketOnly = "this method works only on a WebSocket connection";

    /// <summary>gateway.resume: the session is unknown, expired or ended, or another user's; the client identifies again.</summary>
    public const string ResumeUnknownSession = "unknown or expired gateway session: identify again and start over from READY";

    /// <summary>
    /// gateway.resume: the session belongs to another server of the cluster (or to one that stopped); the connection
    /// is then closed with <see cref="Gateway.GatewayCloseCodes.SessionNotHere"/> and the client identifies again.
    /// </summary>
    public const string ResumeOtherServer = "this gateway session is held by another server: resume at READY's resume_gateway_url, or identify again and start over from READY";

    /// <summary>gateway.resume: seq is beyond the session's last event; the session is kept and a resume with a correct seq works.</summary>
    public const string ResumeSeqAhead = "seq is ahead of this gateway session's last event: resume again with the s of the last event received; the session is kept";

    /// <summary>gateway.resume: some events after seq are no longer kept; the client identifies again.</summary>
    public const string ResumeEventsGone = "the events after this seq are no longer kept: identify again and start over from READY";

    /// <summary>
    /// gateway.resume without a token: unlike other methods it is not told to send a bearer header, since a bearer
    /// header on the upgrade starts a new session, on which a resume is refused.
    /// </summary>
    public const string ResumeTokenRequired = "gateway.resume needs the session's token as the call's auth member (a bearer header on the upgrade starts a new session instead)";

    /// <summary>gateway.resume: the token is invalid or revoked; the client stops and logs in again.</summary>
    public const string ResumeTokenRevoked = "invalid or revoked token: stop, and log in again with users.auth";

    /// <summary>users.identify, users.auth, gateway.resume on a WebSocket that already has a gateway session; the connection stays as it was.</summary>
    public const string AlreadyIdentified = "this connection already has a gateway session: open a new WebSocket to identify or resume another";

    /// <summary>gateway.guildSubscribe, gateway.guildUnsubscribe: the WebSocket has no gateway session yet; the client calls users.identify (or users.auth) on it first.</summary>
    public const string GatewaySessionRequired = "this connection has no gateway session: call users.identify on it first";

    /// <summary>gateway.guildSubscribe: the gateway session already subscribes to the most guilds one may (<c>Gateway:MaxGuildSubscriptions</c>); nothing changed.</summary>
    public static string TooManyGuildSubscriptions(int max) => $"this gateway session already subscribes to {max} guilds, the most one may: unsubscribe from one first";
}
