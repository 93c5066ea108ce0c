namespace Rpc.Contracts.Protocol;

public static partial class ErrorData
{
    /// <summary>gateway.*: the method needs a WebSocket connection.</summary>
    public const string WebSocketOnly = "this method works only on a WebSocket connection";

    /// <summary>gateway.resume: the session is unknown, expired, of another user, or its missed events are gone.</summary>
    public const string CannotResume = "cannot resume this session: authenticate again and start over from READY";
}
