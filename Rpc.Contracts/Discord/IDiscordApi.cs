using Rpc.Contracts.Protocol;
using StreamJsonRpc;

namespace Rpc.Contracts.Discord;

/// <summary>Linked Discord accounts: the staff-only <c>discord.*</c> methods of seed 000 (the role-sync bot's interface).</summary>
public interface IDiscordApi
{
    /// <summary>
    /// Links a user to a Discord account, replacing the user's previous link if it has one. A Discord
    /// id linked to another user is refused.
    /// </summary>
    /// <param name="userId">The user to link.</param>
    /// <param name="discordId">The Discord user id: a snowflake of 17 to 19 digits.</param>
    /// <param name="avatar">The Discord avatar hash: 32 hexadecimal digits, optionally prefixed with <c>a_</c>.</param>
    /// <param name="discriminator">The Discord discriminator: 4 digits, or <c>0</c>.</param>
    /// <param name="locale">The Discord locale, a language tag such as <c>fr</c> or <c>en-US</c>.</param>
    /// <param name="mfaEnabled">Whether the Discord account has two-factor authentication on; default false.</param>
    /// <param name="flags">The Discord user flags bit set; default 0.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("discord.link")]
    [RpcAccess(RpcAccess.Staff)]
    Task<DiscordAccount> LinkAsync(long userId, string discordId, string? avatar = null, string? discriminator = null, string? locale = null, bool? mfaEnabled = null, long? flags = null, CancellationToken cancellationToken = default);

    /// <summary>Removes a user's Discord link; returns true.</summary>
    /// <param name="userId">The linked user.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("discord.unlink")]
    [RpcAccess(RpcAccess.Staff)]
    Task<bool> UnlinkAsync(long userId, CancellationToken cancellationToken = default);

    /// <summary>Lists every linked Discord account's id, ordered by Discord id.</summary>
    /// <param name="limit">Page size, 1 to 100; default 50.</param>
    /// <param name="after">A Discord id: the list goes on with greater ids.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("discord.users")]
    [RpcAccess(RpcAccess.Staff)]
    Task<IReadOnlyList<DiscordUserEntry>> UsersAsync(int? limit = null, long? after = null, CancellationToken cancellationToken = default);

    /// <summary>Tells whether a Discord id is linked to a user; false for ids that are not snowflakes.</summary>
    /// <param name="id">The Discord user id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("discord.check")]
    [RpcAccess(RpcAccess.Staff)]
    Task<bool> CheckAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Returns a linked Discord account's details.</summary>
    /// <param name="id">The Discord user id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("discord.infos")]
    [RpcAccess(RpcAccess.Staff)]
    Task<DiscordAccount> InfosAsync(string id, CancellationToken cancellationToken = default);
}

/// <summary>The caller's own Discord link.</summary>
public interface IDiscordSelfApi
{
    /// <summary>
    /// Links the caller to a Discord account, replacing its previous link if it has one. A Discord id
    /// linked to another user is refused.
    /// </summary>
    /// <param name="discordId">The Discord user id: a snowflake of 17 to 19 digits.</param>
    /// <param name="avatar">The Discord avatar hash: 32 hexadecimal digits, optionally prefixed with <c>a_</c>.</param>
    /// <param name="discriminator">The Discord discriminator: 4 digits, or <c>0</c>.</param>
    /// <param name="locale">The Discord locale, a language tag such as <c>fr</c> or <c>en-US</c>.</param>
    /// <param name="mfaEnabled">Whether the Discord account has two-factor authentication on; default false.</param>
    /// <param name="flags">The Discord user flags bit set; default 0.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("users.linkDiscord")]
    Task<DiscordAccount> LinkDiscordAsync(string discordId, string? avatar = null, string? discriminator = null, string? locale = null, bool? mfaEnabled = null, long? flags = null, CancellationToken cancellationToken = default);
}
