namespace Rpc.Server.Transport;

/// <summary>
/// Where the server listens and how it meets the network (configuration section <c>Server</c>).
/// <c>Address</c> and <c>Port</c> are shorthands: when neither is set, the standard ASP.NET Core
/// settings (<c>--urls</c>, <c>ASPNETCORE_URLS</c>, <c>ASPNETCORE_HTTP_PORTS</c>, <c>Kestrel:Endpoints</c>)
/// decide, and without those too the server listens on 127.0.0.1:8080.
/// </summary>
public sealed class ServerOptions
{
    public const string Section = "Server";

    /// <summary>The default address when only <see cref="Port"/> is set, or when nothing is.</summary>
    public const string DefaultAddress = "127.0.0.1";

    /// <summary>The default port when only <see cref="Address"/> is set, or when nothing is.</summary>
    public const int DefaultPort = 8080;

    /// <summary>The address to bind (shorthand); unset by default.</summary>
    public string? Address { get; set; }

    /// <summary>The TCP port (shorthand; 0 picks a free one); unset by default.</summary>
    [System.ComponentModel.DataAnnotations.Range(0, 65535)]
    public int? Port { get; set; }

    /// <summary>Reverse proxies (addresses or CIDR ranges) whose X-Forwarded-For and X-Forwarded-Proto are believed; empty: none.</summary>
    public string[] TrustedProxies { get; set; } = [];

    /// <summary>Browser origins allowed to call POST /rpc (CORS) and open WebSockets; <c>*</c> for any; empty: CORS off, upgrades unchecked.</summary>
    public string[] AllowedOrigins { get; set; } = [];

    /// <summary>How long a shutdown (SIGTERM) waits for calls in flight before closing what remains. Default 8.</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 300)]
    public int ShutdownSeconds { get; set; } = 8;

    /// <summary>
    /// The part of <see cref="ShutdownSeconds"/> that calls in flight and WebSocket closes may take. The rest (a
    /// third, at most 3 s) is for what follows: Kestrel aborts what remains and waits a moment for it, the
    /// services are disposed, the runtime exits. Measured here with a call outlasting the limit: 1.5 to 3 s past
    /// the host's timeout (load 20 to 50 on 2 cores), so with the whole 8 s as the timeout the process took 9.3 to 11.8 s.
    /// </summary>
    public TimeSpan DrainTime => TimeSpan.FromSeconds(ShutdownSeconds - Math.Min(3.0, ShutdownSeconds / 3.0));
}
