namespace Rpc.Server.Errors;

/// <summary>What kind of refusal a <see cref="ServiceException"/> is; the edge (the dispatcher) picks the wire code.</summary>
public enum ErrorKind
{
    /// <summary>The request was well formed but a rule refused it.</summary>
    Refused,

    /// <summary>An argument has a value the method does not take.</summary>
    InvalidArgument,
}

/// <summary>
/// The one exception type for errors a caller should see, thrown by services and security with a
/// <c>data</c> string from Rpc.Contracts' <c>ErrorData</c>. It knows nothing of the protocol: the
/// dispatcher turns it into the JSON-RPC error with a localized message.
/// </summary>
public sealed class ServiceException(ErrorKind kind, string data) : Exception(data)
{
    /// <summary>What kind of refusal this is.</summary>
    public ErrorKind Kind { get; } = kind;

    /// <summary>The error's <c>data</c>: a precise English string.</summary>
    public string ErrorData { get; } = data;

    /// <summary>A rule refused the request, for the reason <paramref name="data"/>.</summary>
    public static ServiceException Refused(string data) => new(ErrorKind.Refused, data);

    /// <summary>An argument was not one the method takes, as <paramref name="data"/> says.</summary>
    public static ServiceException InvalidArgument(string data) => new(ErrorKind.InvalidArgument, data);
}
