using System.Text.Json;
using Rpc.Contracts.Protocol;
using StreamJsonRpc;

namespace Rpc.Client;

/// <summary>Reads the server's errors: the <c>data</c> string of an application error (-32603) and the wait of a rate limit.</summary>
public static class RpcErrors
{
    /// <summary>The error's <c>data</c> string (one of Rpc.Contracts' <see cref="ErrorData"/>), or null when it has none.</summary>
    /// <param name="error">A failed call's exception.</param>
    public static string? DataOf(RemoteInvocationException error) => error.ErrorData switch
    {
        JsonElement { ValueKind: JsonValueKind.String } element => element.GetString(),
        string text => text,
        _ => error.DeserializedErrorData as string,
    };

    /// <summary>The seconds to wait before calling again, when the error is a rate limit; null otherwise.</summary>
    /// <param name="error">A failed call's exception.</param>
    public static int? RetryAfterSeconds(RemoteInvocationException error) => DataOf(error) is { } data ? ErrorData.RetryAfterSeconds(data) : null;
}
