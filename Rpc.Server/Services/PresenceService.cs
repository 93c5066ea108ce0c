using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.Extensions.Options;
using Rpc.Contracts.Users;
using Rpc.Contracts.Protocol;
using Rpc.Server.Data;
using Rpc.Server.Security;
using Rpc.Server.Errors;
using Rpc.Server.Events;
using Rpc.Contracts.Gateway;

namespace Rpc.Server.Services;

/// <summary>
/// All presence logic: each user's status, kept in memory (presence does not outlive the process),
/// who may see it and what they see. <c>users.presence</c> sets the status a user chose; the gateway
/// calls <see cref="ConnectionOpened"/> and <see cref="ConnectionClosed"/> so connections drive it
/// (the first connection brings the user online with the status it chose, the last one leaving takes
/// it offline after a grace period, so a reconnect or resume shows no flicker). Every change is
/// published as PRESENCE_UPDATE: the real status to the user, what others may see to its observers.
/// <c>users.presence</c> is rate-limited per user, and a burst of changes (from it or from connections
/// opening and closing) reaches the observers as one update with the latest state: at most one to them per
/// user each <see cref="PresenceOptions.PresenceCoalesceWindow"/>, the first at once, the last at the window's
/// end. The user's own sessions get every change at once (they are few, the observers may be thousands).
/// <para>
/// With several servers on one database (<see cref="ClusterNode.Clustered"/>) the state is the cluster's: a
/// server sends the others <see cref="PresenceState"/> when it starts or stops holding a user present and
/// <see cref="PresenceChosen"/> when a user chooses a status, and counts a user online while it or any other
/// live server holds it (<see cref="PresenceLeases"/> drops a server whose lease lapsed). Each server
/// publishes PRESENCE_UPDATE to its own connections only, from its view of the cluster, so every connection gets
/// each change once whichever server it is on.
/// </para>
/// </summary>
public sealed class PresenceService(
    ObserverRepository observers,
    InProcessEventBus localBus,
    IEventBus bus,
    ClusterNode node,
    IOptions<PresenceOptions> gateway,
    IOptions<RateLimitOptions> rateLimits,
    TimeProvider clock) : IEventSink
{
    private readonly ConcurrentDictionary<long, Entry> entries = new();
    private readonly ConcurrentDictionary<long, ITimer> lingering = new();
    private readonly ConcurrentDictionary<long, Publication> publications = new();
    private readonly ConcurrentDictionary<long, byte> unwritten = new();
    private readonly TokenBucketLimiter changes = new(rateLimits.Value.PresencePerUser, rateLimits.Value.MaxTrackedKeys, clock);
    private readonly TimeSpan coalesceWindow = gateway.Value.PresenceCoalesceWindow;

    /// <summary>The user's real status, or null when it never had one since the server started.</summary>
    public PresenceStatus? GetStatus(long userId) => entries.TryGetValue(userId, out var entry) ? entry.Effective : null;

    /// <summary>
    /// Sets the status the user chose and returns it; publishes PRESENCE_UPDATE when it changed.
    /// Without open gateway connections the chosen status stands as it is (an HTTP-only client is
    /// present by its own word) until a connection opens and closes again. Past the user's rate limit
    /// (<c>RateLimits:PresencePerUser</c>) it fails with the error saying when to retry.
    /// </summary>
    public PresenceStatus SetChosenStatus(long userId, PresenceStatus status)
    {
        var key = userId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        lock (changes)
        {
            var wait = changes.RetryAfter(key);
            if (wait > TimeSpan.Zero)
            {
                throw ServiceException.Refused(ErrorData.TooManyPresenceChanges(Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds))));
            }

            changes.Take(key);
        }

        var before = entries.GetValueOrDefault(userId);
        var after = Update(userId, entry => entry with { Chosen = status, EverConnected = entry.Connections > 0 || entry.Remote.Count > 0 });
        if (node.Clustered && before?.Chosen != status)
        {
            unwritten[userId] = 0;
            bus.Publish(new PresenceChosen(userId, status));
        }

        return after.Effective!.Value;
    }

    /// <summary>A gateway connection of the user opened; the first one makes the user present with its chosen status.</summary>
    public void ConnectionOpened(long userId)
    {
        if (lingering.TryRemove(userId, out var timer))
        {
            timer.Dispose();
        }

        Update(userId, entry => entry with { Connections = entry.Connections + 1, EverConnected = true, Lingering = false });
        Claim(userId);
    }

    /// <summary>A gateway connection of the user closed; when it was the last, the user goes offline after the grace period.</summary>
    public void ConnectionClosed(long userId)
    {
        var after = Update(userId, entry => entry with { Connections = Math.Max(0, entry.Connections - 1), Lingering = entry.Connections == 1 });
        if (after.Lingering)
        {
            var timer = clock.CreateTimer(_ => GraceElapsed(userId), null, gateway.Value.PresenceGracePeriod, Timeout.InfiniteTimeSpan);
            if (lingering.TryGetValue(userId, out var previous))
            {
                previous.Dispose();
            }

            lingering[userId] = timer;
        }

        Claim(userId);
    }

    private void GraceElapsed(long userId)
    {
        if (lingering.TryRemove(userId, out var timer))
        {
            timer.Dispose();
        }

        Update(userId, entry => entry with { Lingering = false });
        Claim(userId);
    }

    public void Deliver(BusMessage message)
    {
        switch (message)
        {
            case PresenceState state when state.Node != node.Id:
                Update(state.UserId, entry => entry with
                {
                    Remote = state.Present ? entry.Remote.Add(state.Node) : entry.Remote.Remove(state.Node),
                    EverConnected = entry.EverConnected || state.Present,
                });
                break;
            case PresenceChosen chosen:
                Update(chosen.UserId, entry => entry with { Chosen = chosen.Status, EverConnected = entry.Connections > 0 || entry.Remote.Count > 0 });
                break;
            case NodeDropped dropped when dropped.Node == node.Id:
                // Another server dropped this one, whose lease had lapsed or looked so when it checked: it may have
                // applied this server's claims before its drop, so they are made again, after it.
                ClaimAgain();
                break;
            case NodeDropped dropped:
                DropNode(dropped.Node);
                break;
        }
    }

    /// <summary>The other servers this one counts users present on.</summary>
    public IReadOnlySet<Guid> RemoteNodes()
    {
        var nodes = new HashSet<Guid>();
        foreach (var entry in entries.Values)
        {
            nodes.UnionWith(entry.Remote);
        }

        return nodes;
    }

    /// <summary>A server's lease lapsed: the users it held count only where else they are.</summary>
    public void DropNode(Guid gone)
    {
        foreach (var (userId, entry) in entries)
        {
            if (entry.Remote.Contains(gone))
            {
                Update(userId, e => e with { Remote = e.Remote.Remove(gone) });
            }
        }
    }

    /// <summary>What this server holds of the users whose state changed since the last call (all of them with <paramref name="all"/>), for <c>presence_connections</c>.</summary>
    public IReadOnlyList<PresenceClaim> TakeUnwritten(bool all)
    {
        var claims = new List<PresenceClaim>();
        foreach (var userId in all ? entries.Keys : unwritten.Keys)
        {
            unwritten.TryRemove(userId, out _);
            if (entries.TryGetValue(userId, out var entry))
            {
                claims.Add(new PresenceClaim(userId, entry.Connections, entry.LocallyPresent, entry.Chosen));
            }
        }

        return claims;
    }

    /// <summary>
    /// Sends the other servers every user this one holds present again: after its lease lapsed they dropped them.
    /// </summary>
    public void ClaimAgain()
    {
        foreach (var userId in entries.Keys)
        {
            var publication = publications.GetOrAdd(userId, _ => new Publication());
            lock (publication)
            {
                publication.Claimed = false;
            }

            Claim(userId);
        }
    }

    /// <summary>
    /// Tells the other servers whether this one holds the user present, when that changed since it last told them.
    /// Under the user's lock and from the current state, so the last message sent is the latest state.
    /// </summary>
    private void Claim(long userId)
    {
        if (!node.Clustered)
        {
            return;
        }

        unwritten[userId] = 0;
        var publication = publications.GetOrAdd(userId, _ => new Publication());
        lock (publication)
        {
            var entry = entries.GetValueOrDefault(userId);
            var present = entry?.LocallyPresent ?? false;
            if (publication.Claimed != present)
            {
                bus.Publish(new PresenceState(node.Id, userId, entry?.Connections ?? 0, present));
                publication.Claimed = present;
            }
        }
    }

    /// <summary>
    /// What <paramref name="viewerId"/> may see of <paramref name="userId"/>'s presence: null unless it observes the
    /// user (guild mate or friend, no block); <c>OFFLINE</c> for a guild mate across a block, as for an invisible user.
    /// </summary>
    public async Task<PresenceStatus?> GetVisibleStatusAsync(long viewerId, long userId, CancellationToken cancellationToken)
    {
        if (viewerId == userId)
        {
            return GetStatus(userId);
        }

        if (GetStatus(userId) is null)
        {
            return null;
        }

        if (!await observers.ObservesAsync(viewerId, userId, cancellationToken).ConfigureAwait(false))
        {
            return (await observers.BlockedGuildMatesAmongAsync(viewerId, [userId], cancellationToken).ConfigureAwait(false)).Contains(userId) ? PresenceStatus.Offline : null;
        }

        return Project(viewerId, userId, GetStatus(userId));
    }

    /// <summary>
    /// READY's presences: what <paramref name="viewerId"/> sees of the users it observes, OFFLINE and unknown ones left
    /// out. Its observers through friendships and small guilds are read whole; of each of <paramref name="largeGuilds"/>
    /// only the online members with the lowest ids, at most <paramref name="perLargeGuild"/>, are listed: its member ids
    /// are read in id order, a page at a time, and looked up in the presence state (this server's view of the cluster)
    /// until that many are found, so READY costs the same however many of a large guild's members are online, instead
    /// of reading every member (n members identifying one after another read about n² rows and sent n²/2 presences).
    /// The large guilds of which READY listed that many, so more may be online, are returned as truncated:
    /// <c>guilds.members</c>, which gives each member's presence, pages on after the last one listed.
    /// </summary>
    public async Task<(IReadOnlyList<PresenceUpdate> Presences, IReadOnlySet<long> Truncated)> ReadyPresencesAsync(
        long viewerId, IReadOnlyCollection<long> largeGuilds, int perLargeGuild, CancellationToken cancellationToken)
    {
        var listed = new HashSet<long>();
        var visible = new List<PresenceUpdate>();
        void Add(long userId, PresenceStatus status)
        {
            if (listed.Add(userId))
            {
                visible.Add(new PresenceUpdate { UserId = userId, Status = status });
            }
        }

        foreach (var userId in await observers.ObserversOfAsync(viewerId, largeGuilds, cancellationToken).ConfigureAwait(false))
        {
            if (Seen(viewerId, userId) is { } status)
            {
                Add(userId, status);
            }
        }

        var truncated = new HashSet<long>();
        if (largeGuilds.Count == 0)
        {
            return (visible, truncated);
        }

        var blocked = await observers.BlockedEitherWayAsync(viewerId, cancellationToken).ConfigureAwait(false);
        foreach (var guildId in largeGuilds)
        {
            var found = 0;
            var after = long.MinValue;
            // The first page is sized for a guild whose members are mostly online; the next ones read on in larger steps.
            var page = Math.Max(16, perLargeGuild + (perLargeGuild / 2));
            while (found < perLargeGuild)
            {
                var ids = await observers.GuildMemberIdsAsync(guildId, after, page, cancellationToken).ConfigureAwait(false);
                foreach (var userId in ids)
                {
                    if (userId != viewerId && !blocked.Contains(userId) && Seen(viewerId, userId) is { } status)
                    {
                        Add(userId, status);
                        if (++found == perLargeGuild)
                        {
                            truncated.Add(guildId);
                            break;
                        }
                    }
                }

                if (ids.Count < page)
                {
                    break;
                }

                after = ids[^1];
                page = Math.Max(page, 1000);
            }
        }

        return (visible, truncated);
    }

    /// <summary>What <paramref name="viewerId"/> sees of an observed user, when it is neither OFFLINE nor unknown.</summary>
    private PresenceStatus? Seen(long viewerId, long userId) =>
        Project(viewerId, userId, GetStatus(userId)) is { } status && status != PresenceStatus.Offline ? status : null;

    /// <summary>
    /// The status <paramref name="viewerId"/> sees, for a viewer already known to observe the user
    /// (gateway fan-out, checked channel recipients): others see INVISIBLE as OFFLINE.
    /// </summary>
    public static PresenceStatus? Project(long viewerId, long userId, PresenceStatus? status) =>
        viewerId != userId && status == PresenceStatus.Invisible ? PresenceStatus.Offline : status;

    private Entry Update(long userId, Func<Entry, Entry> change)
    {
        Entry before, after;
        do
        {
            before = entries.GetOrAdd(userId, Entry.Initial);
            after = change(before);
        }
        while (!entries.TryUpdate(userId, after, before));

        if (after.Effective != before.Effective)
        {
            Changed(userId);
        }

        return after;
    }

    /// <summary>
    /// Publishes the user's real status to its own sessions at once, and what others see to its observers now,
    /// or at the end of the coalescing window when they got an update within it.
    /// </summary>
    private void Changed(long userId)
    {
        var publication = publications.GetOrAdd(userId, _ => new Publication());
        lock (publication)
        {
            PublishOwn(userId, publication);
            if (publication.Timer is not null)
            {
                return;
            }

            var wait = publication.LastAt is { } last ? coalesceWindow - (clock.GetUtcNow() - last) : TimeSpan.Zero;
            if (wait > TimeSpan.Zero)
            {
                publication.Timer = clock.CreateTimer(_ => WindowEnded(userId, publication), null, wait, Timeout.InfiniteTimeSpan);
                return;
            }

            PublishSeen(userId, publication);
        }
    }

    private void WindowEnded(long userId, Publication publication)
    {
        lock (publication)
        {
            publication.Timer?.Dispose();
            publication.Timer = null;
            PublishSeen(userId, publication);
        }
    }

    /// <summary>The real status to the user's own sessions, when it differs from what they were last sent.</summary>
    private void PublishOwn(long userId, Publication publication)
    {
        if (GetStatus(userId) is { } status && publication.Own != status)
        {
            localBus.Publish(new DispatchEvent(GatewayEvents.PresenceUpdate, new PresenceUpdate { UserId = userId, Status = status }, new EventAudience.Users([userId])));
            publication.Own = status;
        }
    }

    /// <summary>What others see to the user's observers, when it differs from what they were last sent.</summary>
    private void PublishSeen(long userId, Publication publication)
    {
        if (GetStatus(userId) is not { } status)
        {
            return;
        }

        var seen = Project(0, userId, status)!.Value;
        if (publication.Seen != seen)
        {
            localBus.Publish(new DispatchEvent(GatewayEvents.PresenceUpdate, new PresenceUpdate { UserId = userId, Status = seen }, new EventAudience.Observers(userId)));
            publication.Seen = seen;
            publication.LastAt = clock.GetUtcNow();
        }
    }

    /// <summary>What was last published of a user's presence, when observers last got it, and their pending publication of a burst.</summary>
    private sealed class Publication
    {
        public PresenceStatus? Own { get; set; }

        public PresenceStatus? Seen { get; set; }

        public DateTimeOffset? LastAt { get; set; }

        public ITimer? Timer { get; set; }

        /// <summary>Whether the other servers were last told this one holds the user present.</summary>
        public bool Claimed { get; set; }
    }

    /// <summary>
    /// A user's presence state: the status it chose (null until it chooses), its open gateway connections here, and
    /// the other servers that hold it present.
    /// </summary>
    private sealed record Entry(PresenceStatus? Chosen, int Connections, bool EverConnected, bool Lingering = false)
    {
        public static readonly Entry Initial = new(null, 0, false);

        public ImmutableHashSet<Guid> Remote { get; init; } = [];

        /// <summary>Whether this server holds the user present: connections, or the grace period after the last.</summary>
        public bool LocallyPresent => Connections > 0 || Lingering;

        /// <summary>Whether any server holds the user present.</summary>
        public bool Present => LocallyPresent || Remote.Count > 0;

        /// <summary>
        /// Without gateway connections the chosen status stands as set over HTTP; once the user has
        /// connected, the last connection closing shows it OFFLINE until it connects again.
        /// </summary>
        public PresenceStatus? Effective =>
            Present ? Chosen ?? PresenceStatus.Online
            : EverConnected ? PresenceStatus.Offline
            : Chosen;
    }
}

/// <summary>What a server holds of a user's presence: its connections there, whether it holds the user present, the status the user chose.</summary>
public sealed record PresenceClaim(long UserId, int Connections, bool Present, PresenceStatus? Chosen);
