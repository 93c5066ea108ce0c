using StreamJsonRpc;

namespace Rpc.Contracts.Guilds;

/// <summary>Guilds (communities): creating them, inviting to them and joining them.</summary>
public interface IGuildsApi
{
    /// <summary>Creates a guild owned by the caller, who becomes its first member.</summary>
    /// <param name="name">2 to 100 characters (white space at the ends is trimmed).</param>
    /// <param name="region">A voice region id; neither deprecated nor VIP-only (a new guild has no features). Null: none.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("guilds.create")]
    Task<Guild> CreateAsync(string name, string? region = null, CancellationToken cancellationToken = default);

    /// <summary>Returns a guild the caller is a member of.</summary>
    /// <param name="guildId">The guild's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("guilds.get")]
    Task<Guild> GetAsync(long guildId, CancellationToken cancellationToken = default);

    /// <summary>Creates an invite to a guild the caller owns.</summary>
    /// <param name="guildId">The guild's id.</param>
    /// <param name="maxUses">How many joins it allows, 0 (unlimited, the default) to 100.</param>
    /// <param name="maxAge">Seconds until it expires, 0 (never) to 604800; default 86400.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("guilds.invites.create")]
    Task<Invite> CreateInviteAsync(long guildId, int maxUses = 0, int maxAge = 86400, CancellationToken cancellationToken = default);

    /// <summary>Joins the guild an invite leads to; joining a guild the caller is already in returns it and uses nothing.</summary>
    /// <param name="code">The invite's code.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("guilds.join")]
    Task<Guild> JoinAsync(string code, CancellationToken cancellationToken = default);

    /// <summary>Renames a guild the caller owns and/or changes its voice region; dispatches GUILD_UPDATE to its members when something changed.</summary>
    /// <param name="guildId">The guild's id.</param>
    /// <param name="name">The new name, 2 to 100 characters; null keeps it.</param>
    /// <param name="region">The new voice region id; "" clears it; null keeps it. Not deprecated; VIP regions need the VIP_REGIONS feature.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("guilds.update")]
    Task<Guild> UpdateAsync(long guildId, string? name = null, string? region = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Lists a guild's members in user id order, a page at a time: <paramref name="limit"/> members (default 50, at
    /// most 100) with ids greater than <paramref name="after"/>. Each page is one read through the guild's member
    /// index, whatever the guild's size. Each member's presence is as the caller may see it (none across a block).
    /// </summary>
    /// <param name="guildId">A guild the caller is a member of.</param>
    /// <param name="limit">Members per page, 1 to 100; default 50.</param>
    /// <param name="after">A user id: the page starts after it; null for the first page.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("guilds.members")]
    Task<IReadOnlyList<GuildMember>> MembersAsync(long guildId, int? limit = null, long? after = null, CancellationToken cancellationToken = default);
}
