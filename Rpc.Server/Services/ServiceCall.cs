using Rpc.Server.Security;

namespace Rpc.Server.Services;

/// <summary>
/// The call a service runs for, as the service layer sees it: who calls and from where, and the
/// password hashes its message may still start. No protocol and no connection: a method that signs a
/// connection in only records who signed in (<see cref="SignIn"/>); the transport acts on it.
/// </summary>
public class ServiceCall
{
    /// <summary>The authenticated caller; null for methods open to anyone.</summary>
    public Caller? Caller { get; init; }

    public string? ClientAddress { get; init; }

    public string? UserAgent { get; init; }

    /// <summary>The password hashes this call's message may still start, and the address line they wait in.</summary>
    public required HashAllowance Hashes { get; init; }

    /// <summary>Who signed in by this call (<c>users.auth</c>, <c>users.identify</c>), for the connection it came on.</summary>
    public SignedIn? SignedIn { get; private set; }

    /// <summary>The caller, for services behind methods that require authentication.</summary>
    public Caller RequireCaller() => Caller ?? throw new InvalidOperationException("the dispatcher did not authenticate this call");

    /// <summary>Records that <paramref name="caller"/> signed in with <paramref name="token"/> by this call.</summary>
    public void SignIn(string token, Caller caller) => SignedIn = new SignedIn(token, caller);
}

/// <summary>A session a call signed in: the token and whose it is.</summary>
public sealed record SignedIn(string Token, Caller Caller);

/// <summary>Gives services the call they are running for; the dispatcher sets it before invoking a method.</summary>
public sealed class ServiceCallAccessor
{
    private static readonly AsyncLocal<ServiceCall?> CurrentCall = new();

    public ServiceCall Current
    {
        get => CurrentCall.Value ?? throw new InvalidOperationException("no call is running");
        set => CurrentCall.Value = value;
    }

    /// <summary>The running call, or null outside one.</summary>
    public ServiceCall? CurrentOrNull => CurrentCall.Value;
}
