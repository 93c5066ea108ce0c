namespace Rpc.Contracts.Protocol;

/// <summary>Error data of <c>admin.guilds.*</c> and of guild voice regions (issue 6).</summary>
public static partial class ErrorData
{
    /// <summary>admin.guilds.*: no guild has this id.</summary>
    public static string GuildNotFound(long guildId) => $"guild {guildId} does not exist";

    /// <summary>admin.guilds.features.*: features outside the accepted list.</summary>
    public static string UnknownGuildFeatures(IEnumerable<string> features, IEnumerable<string> accepted) =>
        $"unknown guild features: {string.Join(", ", features)}; accepted: {string.Join(", ", accepted)}";

    /// <summary>guilds.create, guilds.update: no voice region has this id.</summary>
    public static string UnknownVoiceRegion(string region) => $"voice region {region} does not exist";

    /// <summary>guilds.create, guilds.update: the voice region is deprecated.</summary>
    public static string VoiceRegionDeprecated(string region) => $"voice region {region} is deprecated";

    /// <summary>guilds.create, guilds.update: a VIP region for a guild without VIP_REGIONS.</summary>
    public static string VoiceRegionVipOnly(string region) => $"voice region {region} is VIP-only: the guild needs the VIP_REGIONS feature";

    /// <summary>guilds.update: neither name nor region given.</summary>
    public const string GuildUpdateNeedsField = "give at least one of name and region";
}
