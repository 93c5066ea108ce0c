using Rpc.Contracts.Channels;
using Rpc.Contracts.Guilds;
using Rpc.Contracts.Users;

namespace Rpc.Contracts.Gateway;

/// <summary>The READY payload: what a client needs to start, in one event (methods.md, "READY", documents it field by field).</summary>
public sealed record ReadyPayload
{
    /// <summary>The gateway session's id, for <c>gateway.resume</c>.</summary>
    public required string SessionId { get; init; }

    /// <summary>
    /// The WebSocket address of the server that holds the session, where <c>gateway.resume</c> must go (the server's
    /// <c>Cluster:ResumeGatewayUrl</c>); null when the server names none: resume at the address you connected to.
    /// </summary>
    public string? ResumeGatewayUrl { get; init; }

    /// <summary>The user, with its own real presence.</summary>
    public required User User { get; init; }

    /// <summary>Every guild the user is a member of, each with its <c>member_count</c> and whether it is <c>large</c>.</summary>
    public required IReadOnlyList<Guild> Guilds { get; init; }

    /// <summary>Every DM and group DM of the user.</summary>
    public required IReadOnlyList<Channel> PrivateChannels { get; init; }

    /// <summary>
    /// The status of every user the user observes (guild mates and friends, no block either way) who is not OFFLINE,
    /// as the user may see it: of a large guild, only its online members (page through the rest with <c>guilds.members</c>).
    /// </summary>
    public required IReadOnlyList<PresenceUpdate> Presences { get; init; }

    /// <summary>The user's relationships, as <c>users.relationships</c> lists them.</summary>
    public required IReadOnlyList<Relationship> Relationships { get; init; }
}
