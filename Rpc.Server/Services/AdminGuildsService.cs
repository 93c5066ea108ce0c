using System.Data.Common;
using System.Globalization;
using Rpc.Contracts.Admin;
using Rpc.Contracts.Guilds;
using Rpc.Contracts.Protocol;
using Rpc.Server.Audit;
using Rpc.Server.Data;
using Rpc.Server.Errors;
using Rpc.Server.Events;
using Rpc.Contracts.Gateway;

namespace Rpc.Server.Services;

/// <summary>The <c>admin.guilds.*</c> methods: any guild, its availability and its features.</summary>
public sealed class AdminGuildsService(
    GuildRepository guilds,
    DbConnectionFactory connections,
    AuditLog audit,
    IEventBus bus,
    ServiceCallAccessor call) : IAdminGuildsApi
{
    private static readonly long AllFeatures = GuildFeatures.All.Aggregate(0L, (mask, f) => mask | GuildFeatureBits.Of(f));

    public async Task<Guild> GetAsync(long guildId, CancellationToken cancellationToken = default)
    {
        var row = await guilds.FindAsync(guildId, cancellationToken).ConfigureAwait(false)
            ?? throw ServiceException.Refused(ErrorData.GuildNotFound(guildId));
        return GuildMapper.ToGuild(row);
    }

    public async Task<Guild> UpdateAsync(long guildId, bool unavailable, CancellationToken cancellationToken = default)
    {
        return await ChangeAsync(
            guildId,
            "guild.update",
            (connection, transaction) => GuildRepository.SetUnavailableAsync(connection, transaction, guildId, unavailable, cancellationToken),
            cancellationToken).ConfigureAwait(false);
    }

    public Task<GuildFeatureList> ReplaceFeaturesAsync(long guildId, IReadOnlyList<string> features, CancellationToken cancellationToken = default) =>
        ChangeFeaturesAsync(guildId, keep: 0, add: MaskOf(features), cancellationToken);

    public Task<GuildFeatureList> AddFeaturesAsync(long guildId, IReadOnlyList<string> features, CancellationToken cancellationToken = default) =>
        ChangeFeaturesAsync(guildId, keep: AllFeatures, add: MaskOf(features), cancellationToken);

    public Task<GuildFeatureList> RemoveFeaturesAsync(long guildId, IReadOnlyList<string> features, CancellationToken cancellationToken = default) =>
        ChangeFeaturesAsync(guildId, keep: AllFeatures & ~MaskOf(features), add: 0, cancellationToken);

    /// <summary>The bit set of a feature list; refuses every value outside <see cref="GuildFeatures.All"/>, naming them.</summary>
    private static long MaskOf(IReadOnlyList<string> features)
    {
        var unknown = features.Where(f => !GuildFeatures.All.Contains(f)).Distinct().ToArray();
        if (unknown.Length > 0)
        {
            throw ServiceException.Refused(ErrorData.UnknownGuildFeatures(unknown, GuildFeatures.All));
        }

        return features.Aggregate(0L, (mask, f) => mask | GuildFeatureBits.Of(f));
    }

    private async Task<GuildFeatureList> ChangeFeaturesAsync(long guildId, long keep, long add, CancellationToken cancellationToken)
    {
        var after = await ChangeAsync(
            guildId,
            "guild.features",
            (connection, transaction) => GuildRepository.ChangeFeaturesAsync(connection, transaction, guildId, keep, add, cancellationToken),
            cancellationToken).ConfigureAwait(false);
        return new GuildFeatureList { Features = after.Features };
    }

    /// <summary>
    /// Runs one change to a guild in a transaction; when the guild object changed, records it in the
    /// audit log (same transaction) and dispatches GUILD_UPDATE to the members after the commit.
    /// </summary>
    private async Task<Guild> ChangeAsync(
        long guildId,
        string action,
        Func<DbConnection, DbTransaction, Task> change,
        CancellationToken cancellationToken)
    {
        var actor = call.Current.RequireCaller().UserId;
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        var before = GuildMapper.ToGuild(await GuildRepository.FindAsync(connection, transaction, guildId, cancellationToken).ConfigureAwait(false)
            ?? throw ServiceException.Refused(ErrorData.GuildNotFound(guildId)));
        await change(connection, transaction).ConfigureAwait(false);
        var after = GuildMapper.ToGuild((await GuildRepository.FindAsync(connection, transaction, guildId, cancellationToken).ConfigureAwait(false))!);
        if (Same(before, after))
        {
            return after;
        }

        await audit.RecordAsync(connection, transaction, actor, action, "guild", guildId.ToString(CultureInfo.InvariantCulture), before, after, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        bus.Publish(new DispatchEvent(GatewayEvents.GuildUpdate, after, new EventAudience.GuildMembers(guildId)));
        return after;
    }

    private static bool Same(Guild a, Guild b) => a with { Features = [] } == b with { Features = [] } && a.Features.SequenceEqual(b.Features);
}
