using System.ComponentModel.DataAnnotations;

namespace Rpc.Server.Transport;

/// <summary>Connection limits and timeouts (configuration section <c>Connections</c>); README's limits table explains each.</summary>
public sealed class ConnectionLimitsOptions
{
    public const string Section = "Connections";

    /// <summary>Open TCP connections Kestrel accepts at once (HTTP and WebSocket). Default 20,000.</summary>
    [Range(1, 1_000_000)]
    public int MaxConnections { get; set; } = 20_000;

    /// <summary>
    /// Open TCP connections at once from one client address, HTTP keep-alive and WebSocket alike; a connection
    /// beyond it gets HTTP 429 on its first request and is closed. Default 200 (twice the WebSockets per address).
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxConnectionsPerAddress { get; set; } = 200;

    /// <summary>Open WebSockets at once on the server; more get HTTP 503. Default 10,000.</summary>
    [Range(1, 1_000_000)]
    public int MaxWebSockets { get; set; } = 10_000;

    /// <summary>Open WebSockets at once from one client address; more get HTTP 429. Default 100.</summary>
    [Range(1, 1_000_000)]
    public int MaxWebSocketsPerAddress { get; set; } = 100;

    /// <summary>
    /// Seconds a client has to send a request's headers, including the WebSocket upgrade request
    /// (Kestrel's RequestHeadersTimeout). Default 10.
    /// </summary>
    [Range(1, 300)]
    public int HandshakeTimeoutSeconds { get; set; } = 10;

    /// <summary>
    /// Seconds a WebSocket may stay unauthenticated without sending a request; then it is closed with
    /// <c>4009</c>, so a silent client cannot hold one of its address's WebSocket slots forever while
    /// answering pings. Authenticated connections (bots) are kept however quiet they are. Default 300.
    /// </summary>
    [Range(1, 86_400)]
    public int AnonymousIdleSeconds { get; set; } = 300;

    /// <summary>Seconds an idle HTTP keep-alive connection stays open. Default 120.</summary>
    [Range(1, 3600)]
    public int KeepAliveTimeoutSeconds { get; set; } = 120;

    /// <summary>Total bytes of a request's headers. Default 32 KiB.</summary>
    [Range(1024, 1024 * 1024)]
    public int MaxRequestHeadersBytes { get; set; } = 32 * 1024;

    /// <summary>Most header fields in one request. Default 64.</summary>
    [Range(8, 1000)]
    public int MaxRequestHeaderCount { get; set; } = 64;

    /// <summary>Longest request line (method, path and query). Default 8 KiB.</summary>
    [Range(256, 64 * 1024)]
    public int MaxRequestLineBytes { get; set; } = 8 * 1024;

    /// <summary>
    /// Slowest body upload accepted, in bytes per second after a 5 s grace (Kestrel's MinRequestBodyDataRate),
    /// so a client cannot hold a connection by trickling a body. Default 240.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MinRequestBodyBytesPerSecond { get; set; } = 240;

    /// <summary>
    /// Bytes Kestrel reads ahead of the server on one connection (its input buffer); beyond them a client sending
    /// faster than it is served waits in TCP. Kestrel's own default, 1 MiB, let a hundred WebSockets that flood
    /// large messages pin 100 MiB of buffers while their messages waited for the address's turn. Default 64 KiB.
    /// </summary>
    [Range(4 * 1024, 64 * 1024 * 1024)]
    public int ReadAheadBytes { get; set; } = 64 * 1024;
}
