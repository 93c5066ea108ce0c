using System.Text.Json;
using Rpc.Contracts.Gateway;
using Rpc.Contracts.Protocol;

namespace Rpc.Client;

/// <summary>One <c>gateway.event</c>: its name <c>t</c>, sequence number <c>s</c> and payload <c>d</c>.</summary>
/// <param name="Name">The event's name, such as <c>READY</c> or <c>PRESENCE_UPDATE</c>.</param>
/// <param name="Sequence">Its number in the gateway session: 1 for READY, then 2, 3, … with no gaps.</param>
/// <param name="Data">Its payload, as sent.</param>
public sealed record GatewayEvent(string Name, long Sequence, JsonElement Data)
{
    /// <summary>The payload read as <typeparamref name="T"/> with the API's JSON conventions.</summary>
    /// <typeparam name="T">The payload's contract type (see <see cref="GatewayEventPayloads"/>).</typeparam>
    public T As<T>() => Data.Deserialize<T>(RpcJson.Options)!;

    /// <summary>The payload read as its contract type (<see cref="GatewayEventPayloads.TypeOf"/>); null for an event this version does not know.</summary>
    public object? Payload => GatewayEventPayloads.TypeOf(Name) is { } type ? Data.Deserialize(type, RpcJson.Options) : null;
}

/// <summary>Why <see cref="GatewayClient.RunAsync"/> returned.</summary>
/// <param name="CloseCode">The close code that ended it (4004, 4005, 4007), or null when it was cancelled or the token was refused.</param>
/// <param name="Reason">What happened, in a few words.</param>
public sealed record GatewayStop(int? CloseCode, string Reason);

/// <summary>What the client just did, for logs and tests.</summary>
public enum GatewayTransition
{
    /// <summary>A new WebSocket is being opened.</summary>
    Connecting,

    /// <summary>A new session started: READY was received.</summary>
    Identified,

    /// <summary>The session was resumed: RESUMED was received.</summary>
    Resumed,

    /// <summary>The server refused the resume (session unknown, expired, or its events gone); the client identifies again.</summary>
    ResumeRefused,

    /// <summary>The connection closed or dropped; the client will reconnect after a backoff.</summary>
    Disconnected,

    /// <summary>The client stopped for good.</summary>
    Stopped,
}

/// <summary>A transition of the client, with the close code involved (1006 for a drop) and the backoff chosen.</summary>
/// <param name="Transition">What happened.</param>
/// <param name="CloseCode">The close code, when a connection ended.</param>
/// <param name="Backoff">The wait before the next connection, after <see cref="GatewayTransition.Disconnected"/>.</param>
public sealed record GatewayStateChange(GatewayTransition Transition, int? CloseCode = null, TimeSpan? Backoff = null);

/// <summary>Settings of a <see cref="GatewayClient"/>.</summary>
public sealed class GatewayClientOptions
{
    /// <summary>The gateway's address, <c>ws(s)://HOST/rpc</c>.</summary>
    public required Uri WebSocketUri { get; init; }

    /// <summary>A session token from <c>users.auth</c>.</summary>
    public required string Token { get; init; }

    /// <summary>The first backoff's ceiling; the ceiling doubles with each failed try ("full jitter": a random wait below it). Default 1 s.</summary>
    public TimeSpan BackoffBase { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The largest backoff ceiling. Default 60 s.</summary>
    public TimeSpan BackoffMax { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long after a drop the server keeps a session resumable (the server's <c>Gateway:ResumeWindow</c>, 2 min by default).</summary>
    public TimeSpan ResumeWindow { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>How often the client pings the server itself, to notice a dead server sooner. Default 20 s.</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>How long the client waits for the pong of its ping before it treats the connection as dropped. Default 60 s.</summary>
    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The clock of the resume window and the backoff waits.</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;
}
