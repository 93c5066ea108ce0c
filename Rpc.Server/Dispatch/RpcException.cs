using Rpc.Contracts.Protocol;
using Rpc.Server.Errors;

namespace Rpc.Server.Dispatch;

/// <summary>
/// An error of the protocol itself (no such method, params that do not bind), raised inside Dispatch.
/// Services and security throw <see cref="ServiceException"/>, which <see cref="CodeOf"/> maps to its
/// JSON-RPC code here, at the edge.
/// </summary>
public sealed class RpcException(int code, string data) : Exception(data)
{
    /// <summary>The JSON-RPC error code.</summary>
    public int Code { get; } = code;

    /// <summary>The error's <c>data</c>: a precise English string.</summary>
    public string ErrorData { get; } = data;

    /// <summary>An application error (-32603) with a precise English <paramref name="data"/> string.</summary>
    public static RpcException App(string data) => new(RpcErrorCodes.ApplicationError, data);

    public static RpcException InvalidParams(string data) => new(RpcErrorCodes.InvalidParams, data);

    /// <summary>The JSON-RPC code of a service error of <paramref name="kind"/>.</summary>
    public static int CodeOf(ErrorKind kind) => kind switch
    {
        ErrorKind.InvalidArgument => RpcErrorCodes.InvalidParams,
        _ => RpcErrorCodes.ApplicationError,
    };

    /// <summary><paramref name="error"/> as the JSON-RPC error it is answered with.</summary>
    public static RpcException From(ServiceException error) => new(CodeOf(error.Kind), error.ErrorData);
}
