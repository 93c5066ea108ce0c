using System.Globalization;
using Rpc.Server.Security;
using Rpc.Server.Services;

namespace Rpc.Server.Dispatch;

/// <summary>Where a request came from: the same for every member of a batch or every request of a connection.</summary>
public sealed class RequestOrigin
{
    public required CultureInfo Culture { get; init; }

    public string? ClientAddress { get; init; }

    private string? addressKey;

    /// <summary>
    /// The key per-address limits count this origin under (<see cref="Security.AddressKey"/>): given by a transport that
    /// has the parsed address, or worked out once from <see cref="ClientAddress"/>.
    /// </summary>
    public string AddressKey
    {
        get => addressKey ??= Security.AddressKey.Of(ClientAddress);
        init => addressKey = value;
    }

    public string? UserAgent { get; init; }

    /// <summary>The token of an HTTP <c>Authorization: Bearer</c> header.</summary>
    public string? BearerToken { get; init; }

    /// <summary>The WebSocket connection the request arrived on; null over HTTP.</summary>
    public IRpcConnection? Connection { get; init; }

    private int retryAfterSeconds = -1;

    /// <summary>The longest wait a rate-limit error of this request (or batch) asked for; HTTP sends it as <c>Retry-After</c>.</summary>
    public int? RetryAfterSeconds => Volatile.Read(ref retryAfterSeconds) is >= 0 and var seconds ? seconds : null;

    /// <summary>Records a rate-limit error's wait; the members of a batch run concurrently, so the longest wins.</summary>
    public void NoteRetryAfter(int seconds)
    {
        var current = Volatile.Read(ref retryAfterSeconds);
        while (seconds > current)
        {
            var seen = Interlocked.CompareExchange(ref retryAfterSeconds, seconds, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}

/// <summary>One call being dispatched: its origin, the token it carries and, once resolved, its caller.</summary>
public sealed class CallContext
{
    public required RequestOrigin Origin { get; init; }

    /// <summary>The token this call carries: its <c>auth</c> member, else the bearer header, else the connection's.</summary>
    public string? Token { get; init; }

    /// <summary>The password hashes this call's message may still start, and the address line they wait in.</summary>
    public required HashAllowance Hashes { get; init; }

    /// <summary>The authenticated caller; set by the dispatcher for methods that need one.</summary>
    public Caller? Caller { get; set; }
}

/// <summary>A WebSocket connection as Dispatch sees it: the token it carries, and signing it in after a method that signs in.</summary>
public interface IRpcConnection
{
    /// <summary>The token later requests on this connection use when they carry none.</summary>
    string? Token { get; }

    /// <summary>Whether the connection has a gateway session (identified, authenticated or resumed); a second one is refused.</summary>
    bool IsIdentified { get; }

    /// <summary>Authenticates the connection for <paramref name="caller"/> and starts its gateway session (READY); false when it already has one.</summary>
    Task<bool> TryAuthenticateAsync(string token, Caller caller, CancellationToken cancellationToken);
}

/// <summary>
/// The service call the dispatcher starts, carrying its <see cref="CallContext"/> for the connection-aware methods:
/// one async-local for both, since every value set on one copies the execution context (issue #18).
/// </summary>
public sealed class DispatchedCall(CallContext context) : ServiceCall
{
    public CallContext Context { get; } = context;
}

/// <summary>Gives the connection-aware methods (the gateway's) the call they are running for; services get <c>ServiceCallAccessor</c> instead.</summary>
public sealed class CallContextAccessor(ServiceCallAccessor serviceCalls)
{
    public CallContext Current =>
        (serviceCalls.CurrentOrNull as DispatchedCall)?.Context ?? throw new InvalidOperationException("no JSON-RPC call is running");
}
