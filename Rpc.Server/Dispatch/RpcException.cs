using Rpc.Contracts.Protocol;

namespace Rpc.Server.Dispatch;

/// <summary>
/// The one exception type for errors a caller should see. Services throw it with a <c>data</c>
/// string from <see cref="ErrorData"/>; the dispatcher turns it into the JSON-RPC error with a
/// localized message.
/// </summary>
public class RpcException(int code, string data) : Exception(data)
{
    /// <summary>The JSON-RPC error code.</summary>
    public int Code { get; } = code;

    /// <summary>The error's <c>data</c>: a precise English string.</summary>
    public string ErrorData { get; } = data;

    /// <summary>An application error (-32603) with a precise English <paramref name="data"/> string.</summary>
    public static RpcException App(string data) => new(RpcErrorCodes.ApplicationError, data);

    public static RpcException InvalidParams(string data) => new(RpcErrorCodes.InvalidParams, data);

    public static RpcException InvalidRequest(string data) => new(RpcErrorCodes.InvalidRequest, data);
}
