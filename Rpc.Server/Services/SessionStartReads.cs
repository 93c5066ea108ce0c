using Rpc.Contracts.Channels;
using Rpc.Contracts.Guilds;
using Rpc.Contracts.Users;
using Rpc.Server.Data;

namespace Rpc.Server.Services;

/// <summary>What a new gateway session starts with (the contents of READY), as the user may see it.</summary>
public sealed record SessionStart(
    User User,
    IReadOnlyList<Guild> Guilds,
    IReadOnlyList<Channel> PrivateChannels,
    IReadOnlyList<PresenceUpdate> Presences,
    IReadOnlyList<Relationship> Relationships);

/// <summary>The one read the gateway needs from the services to start a session; the gateway depends on nothing more of them for it.</summary>
public interface ISessionStartReads
{
    /// <summary>
    /// The user <paramref name="userId"/> with its own presence, all its guilds and DMs, the presences it observes (of a
    /// large guild, at most <c>Gateway:ReadyPresencesPerLargeGuild</c> of its online members) and its relationships.
    /// </summary>
    Task<SessionStart> ReadAsync(long userId, CancellationToken cancellationToken);
}

/// <summary>Reads a session's start from the repositories, whole (every page), with the services' mapping rules.</summary>
public sealed class SessionStartReads(
    UserRepository users,
    GuildRepository guilds,
    ChannelRepository channels,
    ChannelViews channelViews,
    RelationshipsService relationships,
    PresenceService presence,
    Microsoft.Extensions.Options.IOptions<LargeGuildOptions> largeGuilds) : ISessionStartReads
{
    public async Task<SessionStart> ReadAsync(long userId, CancellationToken cancellationToken)
    {
        var user = await users.FindByIdAsync(userId, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException("an authenticated user has no row");
        var guildList = await AllGuildsOfAsync(userId, cancellationToken).ConfigureAwait(false);
        var large = guildList.Where(g => g.Large == true).Select(g => g.Id).ToArray();
        var (presences, truncated) = await presence.ReadyPresencesAsync(userId, large, largeGuilds.Value.ReadyPresencesPerLargeGuild, cancellationToken).ConfigureAwait(false);
        return new SessionStart(
            UserMapper.ToUser(user, presence.GetStatus(user.Id)),
            guildList.Select(g => g.Large == true ? g with { PresencesTruncated = truncated.Contains(g.Id) } : g).ToArray(),
            await AllChannelsOfAsync(userId, cancellationToken).ConfigureAwait(false),
            presences,
            await relationships.ListOfAsync(userId, cancellationToken).ConfigureAwait(false));
    }

    private async Task<IReadOnlyList<Guild>> AllGuildsOfAsync(long userId, CancellationToken cancellationToken)
    {
        var all = new List<Guild>();
        long? after = null;
        while (true)
        {
            var page = await guilds.ListForMemberAsync(userId, after, Paging.MaxLimit, cancellationToken).ConfigureAwait(false);
            all.AddRange(page.Select(row => GuildMapper.ToGuild(row) with { Large = largeGuilds.Value.IsLarge(row.MemberCount) }));
            if (page.Count < Paging.MaxLimit)
            {
                return all;
            }

            after = page[^1].Id;
        }
    }

    private async Task<IReadOnlyList<Channel>> AllChannelsOfAsync(long userId, CancellationToken cancellationToken)
    {
        var all = new List<Channel>();
        long? after = null;
        while (true)
        {
            var page = await channels.ListForUserAsync(userId, after, Paging.MaxLimit, cancellationToken).ConfigureAwait(false);
            all.AddRange(await channelViews.ToChannelsAsync(userId, page, cancellationToken).ConfigureAwait(false));
            if (page.Count < Paging.MaxLimit)
            {
                return all;
            }

            after = page[^1].Id;
        }
    }
}
