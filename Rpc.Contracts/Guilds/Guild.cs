using Rpc.Contracts.Users;

namespace Rpc.Contracts.Guilds;

/// <summary>A guild (a community), as <c>guilds.*</c>, <c>users.guilds</c> and the GUILD_CREATE event give it.</summary>
public sealed record Guild
{
    /// <summary>The guild's snowflake id.</summary>
    public required long Id { get; init; }

    /// <summary>The guild's name.</summary>
    public required string Name { get; init; }

    /// <summary>The user who owns the guild.</summary>
    public required long OwnerId { get; init; }

    /// <summary>The guild's features; empty until instance administration manages them.</summary>
    public required IReadOnlyList<string> Features { get; init; }

    /// <summary>Whether the guild is unavailable (an outage); always false on a single node.</summary>
    public required bool Unavailable { get; init; }

    /// <summary>How many members the guild has, the owner included.</summary>
    public required int MemberCount { get; init; }
}

/// <summary>An invite to a guild, from <c>guilds.invites.create</c>.</summary>
public sealed record Invite
{
    /// <summary>The code to pass to <c>guilds.join</c>.</summary>
    public required string Code { get; init; }

    /// <summary>The guild the invite leads to.</summary>
    public required long GuildId { get; init; }

    /// <summary>How many joins the invite allows; 0 for unlimited.</summary>
    public required int MaxUses { get; init; }

    /// <summary>How many joins it has been used for.</summary>
    public required int Uses { get; init; }

    /// <summary>When the invite stops working; null when it never expires.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }
}

/// <summary>The payload of GUILD_DELETE: the guild the receiving user is no longer in.</summary>
public sealed record GuildDeleted
{
    /// <summary>The guild's id.</summary>
    public required long Id { get; init; }
}

/// <summary>The payload of GUILD_MEMBER_ADD and GUILD_MEMBER_REMOVE.</summary>
public sealed record GuildMemberEvent
{
    /// <summary>The guild.</summary>
    public required long GuildId { get; init; }

    /// <summary>The user who joined or left (presence null: the gateway fills in what each viewer may see).</summary>
    public required User User { get; init; }
}
