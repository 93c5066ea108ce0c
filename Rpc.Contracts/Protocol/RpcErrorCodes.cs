namespace Rpc.Contracts.Protocol;

/// <summary>The JSON-RPC 2.0 error codes this server answers with.</summary>
public static class RpcErrorCodes
{
    /// <summary>The frame or body is not valid JSON (or not valid UTF-8, or nested too deeply).</summary>
    public const int ParseError = -32700;

    /// <summary>The JSON is not a valid request object, the batch is empty or too large, or the transport refused the request.</summary>
    public const int InvalidRequest = -32600;

    /// <summary>No method of that name exists.</summary>
    public const int MethodNotFound = -32601;

    /// <summary>A parameter is missing, unknown, or of the wrong type; <c>data</c> names it.</summary>
    public const int InvalidParams = -32602;

    /// <summary>
    /// Every application error (taken username, bad password, missing token, not found, …), as in the
    /// seed: the message is localized and <c>data</c> holds a precise English string listed in methods.md.
    /// </summary>
    public const int ApplicationError = -32603;
}
