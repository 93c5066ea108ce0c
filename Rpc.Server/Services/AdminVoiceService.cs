using System.Globalization;
using System.Text.RegularExpressions;
using Rpc.Contracts.Admin;
using Rpc.Contracts.Protocol;
using Rpc.Server.Audit;
using Rpc.Server.Data;
using Rpc.Server.Errors;
using Rpc.Server.Events;
using Rpc.Contracts.Gateway;

namespace Rpc.Server.Services;

/// <summary>The <c>admin.voice.*</c> methods: voice regions and their servers.</summary>
public sealed partial class AdminVoiceService(
    VoiceRepository voice,
    DbConnectionFactory connections,
    AuditLog audit,
    ServiceCallAccessor call,
    IEventBus bus,
    TimeProvider clock) : IAdminVoiceApi
{
    /// <summary>A new server's health until something measures it: neither healthy nor failed.</summary>
    public const double InitialHealth = 0.5;

    public const int MaxNameLength = 100;
    private const int MaxHostnameLength = 253;

    public async Task<IReadOnlyList<VoiceRegion>> CreateRegionAsync(string id, string name, bool vip = false, bool deprecated = false, bool custom = false, CancellationToken cancellationToken = default)
    {
        var actor = call.Current.RequireCaller().UserId;
        if (!RegionId().IsMatch(id))
        {
            throw ServiceException.Refused(ErrorData.VoiceRegionIdFormat);
        }

        var trimmed = name.Trim();
        if (trimmed.Length == 0 || new StringInfo(trimmed).LengthInTextElements > MaxNameLength)
        {
            throw ServiceException.Refused(ErrorData.VoiceRegionNameLength);
        }

        var row = new VoiceRegionRow { Id = id, Name = trimmed, Vip = vip, Deprecated = deprecated, Custom = custom, CreatedAt = clock.NowMilliseconds() };
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        if (!await VoiceRepository.TryInsertRegionAsync(connection, transaction, row, cancellationToken).ConfigureAwait(false))
        {
            throw ServiceException.Refused(ErrorData.VoiceRegionExists(id));
        }

        await audit.RecordAsync(connection, transaction, actor, "voice_region.create", "voice_region", id, null, ToRegion(row), cancellationToken).ConfigureAwait(false);
        var regions = await VoiceRepository.ListRegionsAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return regions.Select(ToRegion).ToArray();
    }

    public async Task<IReadOnlyList<VoiceServer>> GetRegionAsync(string region, CancellationToken cancellationToken = default)
    {
        var servers = await voice.ListServersAsync(region, cancellationToken).ConfigureAwait(false);
        return servers.Select(s => new VoiceServer { Hostname = s.Hostname, LastHealth = s.LastHealth }).ToArray();
    }

    public async Task<VoiceRegion> DeprecateRegionAsync(string region, CancellationToken cancellationToken = default)
    {
        var actor = call.Current.RequireCaller().UserId;
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        var before = await VoiceRepository.FindRegionAsync(connection, transaction, region, cancellationToken).ConfigureAwait(false)
            ?? throw ServiceException.Refused(ErrorData.VoiceRegionNotFound(region));
        if (before.Deprecated)
        {
            return ToRegion(before);
        }

        await VoiceRepository.DeprecateRegionAsync(connection, transaction, region, cancellationToken).ConfigureAwait(false);
        var after = ToRegion(before with { Deprecated = true });
        await audit.RecordAsync(connection, transaction, actor, "voice_region.deprecate", "voice_region", region, ToRegion(before), after, cancellationToken).ConfigureAwait(false);
        var affected = await GuildRepository.ListUsingRegionAsync(connection, transaction, region, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);

        // Voice is now off in these guilds (voice_available false): their members hear of it.
        foreach (var guild in affected)
        {
            bus.Publish(new DispatchEvent(GatewayEvents.GuildUpdate, GuildMapper.ToGuild(guild), new EventAudience.GuildMembers(guild.Id)));
        }

        return after;
    }

    public async Task<VoiceServer> CreateServerAsync(string region, string hostname, CancellationToken cancellationToken = default)
    {
        var actor = call.Current.RequireCaller().UserId;
        var host = hostname.ToLowerInvariant();
        if (host.Length > MaxHostnameLength || !Hostname().IsMatch(host))
        {
            throw ServiceException.Refused(ErrorData.HostnameInvalid);
        }

        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        if (await VoiceRepository.FindRegionAsync(connection, transaction, region, cancellationToken).ConfigureAwait(false) is null)
        {
            throw ServiceException.Refused(ErrorData.VoiceRegionNotFound(region));
        }

        var row = new VoiceServerRow { Hostname = host, RegionId = region, LastHealth = InitialHealth, CreatedAt = clock.NowMilliseconds() };
        if (!await VoiceRepository.TryInsertServerAsync(connection, transaction, row, cancellationToken).ConfigureAwait(false))
        {
            throw ServiceException.Refused(ErrorData.VoiceServerExists(host));
        }

        var server = new VoiceServer { Hostname = host, LastHealth = InitialHealth };
        await audit.RecordAsync(connection, transaction, actor, "voice_server.create", "voice_server", host, null, new { region, server.Hostname, server.LastHealth }, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return server;
    }

    private static VoiceRegion ToRegion(VoiceRegionRow row) => new()
    {
        Id = row.Id,
        Name = row.Name,
        Vip = row.Vip,
        Deprecated = row.Deprecated,
        Custom = row.Custom,
    };

    /// <summary>A voice region id (also the OpenRPC document's pattern).</summary>
    public const string RegionIdPattern = @"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?\z";

    /// <summary>A voice server's DNS hostname.</summary>
    public const string HostnamePattern = @"^(?=.{1,253}\z)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\z";

    [GeneratedRegex(RegionIdPattern)]
    private static partial Regex RegionId();

    [GeneratedRegex(HostnamePattern)]
    private static partial Regex Hostname();
}
