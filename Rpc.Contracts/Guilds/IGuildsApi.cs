using StreamJsonRpc;

namespace Rpc.Contracts.Guilds;

/// <summary>Guilds (communities): creating them, inviting to them and joining them.</summary>
public interface IGuildsApi
{
    /// <summary>Creates a guild owned by the caller, who becomes its first member.</summary>
    /// <param name="name">2 to 100 characters (white space at the ends is trimmed).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("guilds.create")]
    Task<Guild> CreateAsync(string name, CancellationToken cancellationToken = default);

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
}
