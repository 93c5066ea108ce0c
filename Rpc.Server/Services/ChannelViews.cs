using Rpc.Contracts.Channels;
using Rpc.Contracts.Users;
using Rpc.Server.Data;
using Rpc.Server.Events;

namespace Rpc.Server.Services;

/// <summary>Channel objects as one user sees them, and the CHANNEL_CREATE event, for every method that returns channels.</summary>
public sealed class ChannelViews(ChannelRepository channels, ObserverRepository observers, PresenceService presence, IEventBus bus)
{
    /// <summary>
    /// Channel objects with their recipients as <paramref name="viewerId"/> sees them: presence only of
    /// the recipients it observes (sharing a channel alone shows none), <c>OFFLINE</c> for a guild mate across a block.
    /// </summary>
    public async Task<IReadOnlyList<Channel>> ToChannelsAsync(long viewerId, IReadOnlyList<ChannelRow> rows, CancellationToken cancellationToken)
    {
        var recipients = await channels.RecipientsAsync(rows.Select(r => r.Id).ToArray(), cancellationToken).ConfigureAwait(false);
        var observed = await observers.ObserversAmongAsync(viewerId, recipients.Select(r => r.User.Id).ToArray(), cancellationToken).ConfigureAwait(false);
        var unobserved = recipients.Select(r => r.User.Id).Where(id => id != viewerId && !observed.Contains(id)).ToArray();
        HashSet<long> hiddenByBlock = unobserved.Length == 0 ? [] : await observers.BlockedGuildMatesAmongAsync(viewerId, unobserved, cancellationToken).ConfigureAwait(false);
        var byChannel = recipients.ToLookup(
            r => r.ChannelId,
            r => UserMapper.ToUser(r.User, PresenceOf(r.User.Id)));
        return rows.Select(row => new Channel
        {
            Id = row.Id,
            Type = (ChannelType)row.Type,
            Recipients = byChannel[row.Id].ToArray(),
            OwnerId = row.OwnerId,
            Name = row.Name,
        }).ToArray();

        PresenceStatus? PresenceOf(long userId) =>
            userId == viewerId || observed.Contains(userId) ? PresenceService.Project(viewerId, userId, presence.GetStatus(userId))
            : hiddenByBlock.Contains(userId) ? PresenceStatus.Offline
            : null;
    }

    public async Task<Channel> ToChannelAsync(long viewerId, ChannelRow row, CancellationToken cancellationToken) =>
        (await ToChannelsAsync(viewerId, [row], cancellationToken).ConfigureAwait(false))[0];

    /// <summary>The channel object for events: presence left out (the gateway shows each viewer what it may see).</summary>
    public static Channel ForEvent(Channel channel) =>
        channel with { Recipients = channel.Recipients.Select(u => u with { Presence = null }).ToArray() };

    /// <summary>Publishes <paramref name="name"/> (CHANNEL_CREATE, CHANNEL_UPDATE, CHANNEL_DELETE) with the channel to <paramref name="userIds"/>.</summary>
    public void Publish(string name, Channel channel, IReadOnlyCollection<long> userIds) =>
        bus.Publish(new DispatchEvent(name, ForEvent(channel), new EventAudience.Users(userIds)));
}
