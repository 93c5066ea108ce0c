using Rpc.Contracts.Guilds;
using Rpc.Server.Data;

namespace Rpc.Server.Services;

/// <summary>The guild object of a stored row, with what is derived from its features and region.</summary>
public static class GuildMapper
{
    /// <summary>A guild's emoji limit without MORE_EMOJI (seed 003).</summary>
    public const int EmojiLimit = 50;

    /// <summary>A guild's emoji limit with MORE_EMOJI (seed 003).</summary>
    public const int MoreEmojiLimit = 200;

    /// <summary>The guild object of a row.</summary>
    public static Guild ToGuild(GuildRow row) => new()
    {
        Id = row.Id,
        Name = row.Name,
        OwnerId = row.OwnerId,
        Features = GuildFeatureBits.Names(row.Features),
        Unavailable = row.Unavailable,
        MemberCount = row.MemberCount,
        Region = row.Region,
        VoiceAvailable = row.RegionDeprecated != true && (row.RegionVip != true || GuildFeatureBits.Has(row.Features, GuildFeatures.VipRegions)),
        EmojiLimit = GuildFeatureBits.Has(row.Features, GuildFeatures.MoreEmoji) ? MoreEmojiLimit : EmojiLimit,
    };
}
