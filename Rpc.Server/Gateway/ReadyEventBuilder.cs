using Rpc.Contracts.Channels;
using Rpc.Contracts.Gateway;
using Rpc.Contracts.Guilds;
using Rpc.Contracts.Users;
using Rpc.Server.Services;

namespace Rpc.Server.Gateway;

/// <summary>Builds the READY event of a new gateway session from what the services read for it (<see cref="ISessionStartReads"/>).</summary>
public sealed class ReadyEventBuilder(ISessionStartReads reads, Microsoft.Extensions.Options.IOptions<Events.ClusterOptions> cluster)
{
    public async Task<EventFrame> BuildAsync(GatewaySession session, CancellationToken cancellationToken)
    {
        var start = await reads.ReadAsync(session.UserId, cancellationToken).ConfigureAwait(false);
        return new EventFrame(GatewayEvents.Ready, new ReadyPayload
        {
            SessionId = session.Id,
            ResumeGatewayUrl = cluster.Value.ResumeGatewayUrl,
            User = start.User,
            Guilds = start.Guilds,
            PrivateChannels = start.PrivateChannels,
            Presences = start.Presences,
            Relationships = start.Relationships,
        });
    }
}
