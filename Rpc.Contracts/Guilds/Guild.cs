using System.Text.Json.Serialization;
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

    /// <summary>The guild's features, set by staff (<c>admin.guilds.features.*</c>), in the order of <see cref="GuildFeatures.All"/>.</summary>
    public required IReadOnlyList<string> Features { get; init; }

    /// <summary>Whether the guild is unavailable (an outage); set by staff with <c>admin.guilds.update</c>.</summary>
    public required bool Unavailable { get; init; }

    /// <summary>The guild's voice region id; null when none is chosen.</summary>
    public string? Region { get; init; }

    /// <summary>False when the guild's voice region is deprecated, or is VIP-only and the guild lacks VIP_REGIONS; true otherwise.</summary>
    public required bool VoiceAvailable { get; init; }

    /// <summary>How many emoji (static and animated each) the guild may have: 50, or 200 with MORE_EMOJI.</summary>
    public required int EmojiLimit { get; init; }

    /// <summary>How many members the guild has, the owner included.</summary>
    public required int MemberCount { get; init; }

    /// <summary>
    /// READY only (as Discord's <c>large</c>): whether the guild has more members than <c>Gateway:LargeThreshold</c>.
    /// A large guild's presence changes reach only the sessions subscribed to it (<c>gateway.guildSubscribe</c>), and
    /// READY's presences list only its members who are not OFFLINE; <c>guilds.members</c> pages through all of them.
    /// Absent from every other guild object.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? Large { get; init; }

    /// <summary>
    /// READY only, large guilds only: true when READY's presences list only the first <c>Gateway:ReadyPresencesPerLargeGuild</c>
    /// (100) of the guild's online members in user id order, so more may be online; <c>guilds.members</c>, which gives each
    /// member's presence, pages on after the last of them. False when READY lists every online member. Absent elsewhere.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? PresencesTruncated { get; init; }
}

/// <summary>A member of a guild, as <c>guilds.members</c> lists them.</summary>
public sealed record GuildMember
{
    /// <summary>The member, with its presence as the caller may see it.</summary>
    public required User User { get; init; }

    /// <summary>When the member joined the guild.</summary>
    public required DateTimeOffset JoinedAt { get; init; }
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

/// <summary>The guild features staff may grant (seed 003).</summary>
public static class GuildFeatures
{
    /// <summary>Custom images for invites.</summary>
    public const string InviteSplash = "INVITE_SPLASH";

    /// <summary>The guild may use voice regions marked VIP.</summary>
    public const string VipRegions = "VIP_REGIONS";

    /// <summary>A custom invite URL.</summary>
    public const string VanityUrl = "VANITY_URL";

    /// <summary>The emoji limit goes from 50 to 200.</summary>
    public const string MoreEmoji = "MORE_EMOJI";

    /// <summary>A verified badge and a banner.</summary>
    public const string Verified = "VERIFIED";

    /// <summary>Every accepted feature; a feature's index is its bit in the stored bit set.</summary>
    public static readonly IReadOnlyList<string> All = [InviteSplash, VipRegions, VanityUrl, MoreEmoji, Verified];
}

/// <summary>The payload of GUILD_MEMBER_ADD and GUILD_MEMBER_REMOVE.</summary>
public sealed record GuildMemberEvent
{
    /// <summary>The guild.</summary>
    public required long GuildId { get; init; }

    /// <summary>The user who joined or left (presence null: the gateway fills in what each viewer may see).</summary>
    public required User User { get; init; }
}
