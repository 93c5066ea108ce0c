using Rpc.Contracts.Guilds;
using Rpc.Contracts.Protocol;
using StreamJsonRpc;

namespace Rpc.Contracts.Admin;

/// <summary>Guild administration for staff: the <c>admin.guilds.*</c> methods of seed 003.</summary>
public interface IAdminGuildsApi
{
    /// <summary>Returns any guild, whether or not the caller is a member.</summary>
    /// <param name="guildId">The guild's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("admin.guilds.get")]
    [RpcAccess(RpcAccess.Staff)]
    Task<Guild> GetAsync(long guildId, CancellationToken cancellationToken = default);

    /// <summary>Marks a guild available or unavailable, dispatches GUILD_UPDATE to its members and returns it.</summary>
    /// <param name="guildId">The guild's id.</param>
    /// <param name="unavailable">Whether the guild is unavailable.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("admin.guilds.update")]
    [RpcAccess(RpcAccess.Staff)]
    Task<Guild> UpdateAsync(long guildId, bool unavailable, CancellationToken cancellationToken = default);

    /// <summary>Replaces a guild's whole feature list (the seed's PATCH) and returns the new list.</summary>
    /// <param name="guildId">The guild's id.</param>
    /// <param name="features">The new features, from <see cref="GuildFeatures.All"/>; duplicates collapse.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("admin.guilds.features.replace")]
    [RpcAccess(RpcAccess.Staff)]
    Task<GuildFeatureList> ReplaceFeaturesAsync(long guildId, IReadOnlyList<string> features, CancellationToken cancellationToken = default);

    /// <summary>Adds features to a guild (the seed's PUT) and returns the new list.</summary>
    /// <param name="guildId">The guild's id.</param>
    /// <param name="features">The features to add, from <see cref="GuildFeatures.All"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("admin.guilds.features.add")]
    [RpcAccess(RpcAccess.Staff)]
    Task<GuildFeatureList> AddFeaturesAsync(long guildId, IReadOnlyList<string> features, CancellationToken cancellationToken = default);

    /// <summary>Removes features from a guild (the seed's DELETE) and returns the new list.</summary>
    /// <param name="guildId">The guild's id.</param>
    /// <param name="features">The features to remove, from <see cref="GuildFeatures.All"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("admin.guilds.features.remove")]
    [RpcAccess(RpcAccess.Staff)]
    Task<GuildFeatureList> RemoveFeaturesAsync(long guildId, IReadOnlyList<string> features, CancellationToken cancellationToken = default);
}

/// <summary>The result of the <c>admin.guilds.features.*</c> methods: the guild's features afterwards.</summary>
public sealed record GuildFeatureList
{
    /// <summary>The guild's features, in the order of <see cref="GuildFeatures.All"/>.</summary>
    public required IReadOnlyList<string> Features { get; init; }
}
