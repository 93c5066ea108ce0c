using Rpc.Contracts.Guilds;

namespace Rpc.Server.Services;

/// <summary>A guild's features as stored: a bit set where a feature's bit is its position in <see cref="GuildFeatures.All"/>.</summary>
public static class GuildFeatureBits
{
    /// <summary>The bit of a feature in the stored bit set.</summary>
    public static long Of(string feature) => FeatureBits[feature];

    private static readonly Dictionary<string, long> FeatureBits =
        GuildFeatures.All.Select((name, index) => (name, index)).ToDictionary(f => f.name, f => 1L << f.index, StringComparer.Ordinal);

    /// <summary>The features of a bit set, in the order of <see cref="GuildFeatures.All"/>.</summary>
    public static IReadOnlyList<string> Names(long features) =>
        GuildFeatures.All.Where(f => (features & Of(f)) != 0).ToArray();

    /// <summary>Whether the bit set <paramref name="features"/> has <paramref name="feature"/>.</summary>
    public static bool Has(long features, string feature) => (features & Of(feature)) != 0;
}
