using Rpc.Contracts.Protocol;
using StreamJsonRpc;

namespace Rpc.Contracts.Admin;

/// <summary>Voice regions and servers for staff: the <c>admin.voice.*</c> methods of seed 003.</summary>
public interface IAdminVoiceApi
{
    /// <summary>Creates a voice region and returns every region, ordered by id.</summary>
    /// <param name="id">The region's id: 1 to 32 lower-case letters, digits or '-'.</param>
    /// <param name="name">The region's display name, 1 to 100 characters.</param>
    /// <param name="vip">Whether only VIP guilds may use it.</param>
    /// <param name="deprecated">Whether it starts deprecated.</param>
    /// <param name="custom">Whether it is custom-only.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("admin.voice.regions.create")]
    [RpcAccess(RpcAccess.Staff)]
    Task<IReadOnlyList<VoiceRegion>> CreateRegionAsync(string id, string name, bool vip = false, bool deprecated = false, bool custom = false, CancellationToken cancellationToken = default);

    /// <summary>Returns the voice servers of a region, ordered by hostname; an empty list when the region does not exist.</summary>
    /// <param name="region">The region's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("admin.voice.regions.get")]
    [RpcAccess(RpcAccess.Staff)]
    Task<IReadOnlyList<VoiceServer>> GetRegionAsync(string region, CancellationToken cancellationToken = default);

    /// <summary>Marks a voice region deprecated and returns it.</summary>
    /// <param name="region">The region's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("admin.voice.regions.deprecate")]
    [RpcAccess(RpcAccess.Staff)]
    Task<VoiceRegion> DeprecateRegionAsync(string region, CancellationToken cancellationToken = default);

    /// <summary>Adds a voice server to a region and returns it.</summary>
    /// <param name="region">The region's id.</param>
    /// <param name="hostname">The server's DNS hostname, unique across regions (compared lower-cased).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("admin.voice.servers.create")]
    [RpcAccess(RpcAccess.Staff)]
    Task<VoiceServer> CreateServerAsync(string region, string hostname, CancellationToken cancellationToken = default);
}
