using System.Data.Common;
using Rpc.Contracts.Guilds;
using Rpc.Contracts.Protocol;
using Rpc.Server.Data;
using Rpc.Server.Errors;

namespace Rpc.Server.Services;

/// <summary>Which voice regions a guild may use.</summary>
public static class VoiceRegionRules
{
    /// <summary>
    /// Refuses a region that does not exist, is deprecated, or is VIP-only for a guild without
    /// VIP_REGIONS; read inside the change's transaction so a concurrent deprecation cannot slip between.
    /// </summary>
    public static async Task CheckAsync(DbConnection connection, DbTransaction transaction, string region, long features, CancellationToken cancellationToken)
    {
        var row = await VoiceRepository.FindRegionAsync(connection, transaction, region, cancellationToken).ConfigureAwait(false)
            ?? throw ServiceException.Refused(ErrorData.UnknownVoiceRegion(region));
        if (row.Deprecated)
        {
            throw ServiceException.Refused(ErrorData.VoiceRegionDeprecated(region));
        }

        if (row.Vip && !GuildFeatureBits.Has(features, GuildFeatures.VipRegions))
        {
            throw ServiceException.Refused(ErrorData.VoiceRegionVipOnly(region));
        }
    }
}
