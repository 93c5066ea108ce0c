namespace Rpc.Contracts.Users;

/// <summary>One of the caller's active sessions (logins), from <c>users.sessions</c>. Never the token.</summary>
public sealed record Session
{
    /// <summary>The session's id, for <c>users.sessions.revoke</c>.</summary>
    public required long Id { get; init; }

    /// <summary>When the user logged in.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the session's token was last used (to within a minute).</summary>
    public required DateTimeOffset LastUsedAt { get; init; }

    /// <summary>
    /// When the session expires unless used again: the earlier of its last use plus <c>Sessions:IdleDays</c>
    /// (30) and its login plus <c>Sessions:AbsoluteDays</c> (365). An expired token gets <c>invalid or revoked token</c>.
    /// Null for a bot's token, which lasts until it is reset or revoked.
    /// </summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>The address the login came from, when known.</summary>
    public string? ClientAddress { get; init; }

    /// <summary>The User-Agent of the login, when sent.</summary>
    public string? UserAgent { get; init; }

    /// <summary>Whether this is the session the call was made with.</summary>
    public required bool Current { get; init; }
}

/// <summary>The payload of PRESENCE_UPDATE: a user's real status (the gateway shows INVISIBLE as OFFLINE to others).</summary>
public sealed record PresenceUpdate
{
    /// <summary>The user whose presence changed.</summary>
    public required long UserId { get; init; }

    /// <summary>The user's new status.</summary>
    public required PresenceStatus Status { get; init; }
}
