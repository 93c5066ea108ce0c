using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Rpc.Contracts.Gateway;
using Rpc.Contracts.Guilds;
using Rpc.Server.Security;
using Rpc.Server.Services;
using Rpc.Server.Events;

namespace Rpc.Server.Gateway;

/// <summary>
/// The gateway of this node: the registry of gateway sessions, and the consumer of the event bus that
/// turns each published event into one frame per session that may see it. Events are handled in
/// publication order by one loop, so every session sees them in the same order. Connection closes
/// (logout, revocation, deletion) do not queue behind them: they act at once, on the publisher's thread.
/// </summary>
public sealed class GatewayHub : BackgroundService, IEventSink
{
    private readonly Channel<DispatchEvent> inbox = Channel.CreateUnbounded<DispatchEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<string, GatewaySession> sessions = new(StringComparer.Ordinal);
    private readonly Dictionary<long, List<GatewaySession>> sessionsByUser = [];
    private readonly object registryGate = new();
    private readonly AudienceResolver audiences;
    private readonly GuildSubscriptions subscriptions;
    private readonly ReadyEventBuilder ready;
    private readonly PresenceService presence;
    private readonly GatewayOptions options;
    private readonly TimeProvider clock;
    private readonly ILogger<GatewayHub> logger;
    private readonly ClusterNode node;
    private const int SessionIdLength = 22;

    public GatewayHub(AudienceResolver audiences, GuildSubscriptions subscriptions, ReadyEventBuilder ready, PresenceService presence, IOptions<GatewayOptions> options, TimeProvider clock, ILogger<GatewayHub> logger, ClusterNode node)
    {
        this.node = node;
        this.audiences = audiences;
        this.subscriptions = subscriptions;
        this.ready = ready;
        this.presence = presence;
        this.options = options.Value;
        this.clock = clock;
        this.logger = logger;
    }

    /// <summary>Attached sessions of one user.</summary>
    public int AttachedSessionsOf(long userId)
    {
        lock (registryGate)
        {
            return sessionsByUser.TryGetValue(userId, out var list) ? list.Count(s => s.IsAttached) : 0;
        }
    }

    public void Deliver(BusMessage message)
    {
        // The bus also carries messages for other sinks (cache invalidations, rate-limit charges).
        switch (message)
        {
            case CloseConnections close:
                Close(close);
                break;
            case DispatchEvent dispatch:
                inbox.Writer.TryWrite(dispatch);
                break;
        }
    }

    /// <summary>
    /// Starts a gateway session for a connection that just authenticated with <paramref name="token"/>.
    /// The session is registered before the user's presence changes and before READY's snapshot is
    /// read, so it receives its own PRESENCE_UPDATE and every event after the snapshot; those wait
    /// until READY (sequence number 1) has gone out first.
    /// </summary>
    /// <returns>The session; null when it was ended (its token revoked) before READY went out.</returns>
    public async Task<GatewaySession?> StartAsync(IGatewayConnection connection, string token, Caller caller, CancellationToken cancellationToken)
    {
        // The id starts with this server's tag, so another server of the cluster can tell a resume it is not its own.
        var session = new GatewaySession(node.Tag + TokenService.NewToken()[..(SessionIdLength - node.Tag.Length)], token, caller, options.ReplayBufferSize, options.ReplayBufferBytes, clock);
        Register(session);
        presence.ConnectionOpened(caller.UserId);
        EventFrame readyFrame;
        try
        {
            readyFrame = await ready.BuildAsync(session, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Unregister(session);
            presence.ConnectionClosed(caller.UserId);
            throw;
        }

        if (!session.Start(connection, readyFrame))
        {
            presence.ConnectionClosed(caller.UserId);
            return null;
        }

        return session;
    }

    /// <summary>
    /// Whether <paramref name="sessionId"/> has the shape of a session id of another server of the cluster (or of one that
    /// stopped): session ids start with the tag of the server that holds them. Never on SQLite, where one server serves.
    /// </summary>
    public bool HeldElsewhere(string sessionId) =>
        node.Clustered && sessionId.Length == SessionIdLength && !sessionId.StartsWith(node.Tag, StringComparison.Ordinal);

    /// <summary>The live session <paramref name="sessionId"/> of <paramref name="userId"/>; null when it is unknown, another user's, or past its resume window.</summary>
    public GatewaySession? Find(string sessionId, long userId) =>
        sessions.TryGetValue(sessionId, out var session) && session.UserId == userId && !Expired(session) ? session : null;

    /// <summary>
    /// Resumes <paramref name="session"/> on <paramref name="connection"/>: replays the events after
    /// <paramref name="lastSeen"/> and sends RESUMED. A connection still attached to the session (a
    /// half-open socket, say) is closed with 4007 at once. Any other outcome leaves the session as it was.
    /// </summary>
    public (ResumeOutcome Outcome, int Replayed) Resume(GatewaySession session, long lastSeen, IGatewayConnection connection)
    {
        var outcome = session.Resume(connection, lastSeen, replayed => new EventFrame(GatewayEvents.Resumed, new { session_id = session.Id, replayed }), out var count, out var previous);
        if (outcome != ResumeOutcome.Resumed)
        {
            return (outcome, 0);
        }

        if (previous is null)
        {
            presence.ConnectionOpened(session.UserId);
        }
        else
        {
            // A connection is counted once for presence: the new one replaces it.
            previous.Close(GatewayCloseCodes.ResumedElsewhere, "session resumed elsewhere", discardQueued: true);
        }

        return (outcome, count);
    }

    /// <summary>The connection of <paramref name="session"/> dropped or closed with a code other than 1000/1001; the session waits for a resume.</summary>
    public void Disconnected(GatewaySession session, IGatewayConnection connection)
    {
        if (session.Detach(connection))
        {
            presence.ConnectionClosed(session.UserId);
        }
    }

    /// <summary>The client closed its connection with 1000 or 1001: its session ends, unless another connection has resumed it.</summary>
    public void ClosedByClient(GatewaySession session, IGatewayConnection connection)
    {
        if (session.Detach(connection))
        {
            presence.ConnectionClosed(session.UserId);
            Unregister(session);
        }
    }

    /// <summary>
    /// Subscribes <paramref name="session"/> to a guild's presence changes (at most <paramref name="max"/> guilds);
    /// a session that ended meanwhile keeps nothing.
    /// </summary>
    public SubscribeOutcome Subscribe(GatewaySession session, long guildId, int max)
    {
        var outcome = subscriptions.Add(session, guildId, max);
        if (!sessions.ContainsKey(session.Id))
        {
            subscriptions.RemoveAll(session);
        }

        return outcome;
    }

    /// <summary>Ends <paramref name="session"/>'s subscription to a guild; false when it had none.</summary>
    public bool Unsubscribe(GatewaySession session, long guildId) => subscriptions.Remove(session, guildId);

    /// <summary>Ends a session for good (expiry): it can no longer be resumed.</summary>
    public void End(GatewaySession session)
    {
        if (Unregister(session) && session.TakeConnection() is { } connection)
        {
            presence.ConnectionClosed(session.UserId);
            connection.Close(GatewayCloseCodes.Normal, "session ended", discardQueued: false);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var sweep = new PeriodicTimer(TimeSpan.FromSeconds(Math.Max(1, options.ResumeWindow.TotalSeconds / 4)), clock);
        var sweeping = SweepAsync(sweep, stoppingToken);
        await foreach (var message in inbox.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                await DispatchAsync(message, stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Gateway failed to dispatch {Event}", message.Name);
            }
        }

        await sweeping.ConfigureAwait(false);
    }

    private async Task DispatchAsync(DispatchEvent dispatch, CancellationToken cancellationToken)
    {
        // Serialized once: every receiver's outbox and replay buffer share this frame.
        var frame = new EventFrame(dispatch.Name, dispatch.Payload);
        if (dispatch.Audience is EventAudience.Observers observed)
        {
            foreach (var session in await PresenceSessionsAsync(observed.UserId, cancellationToken).ConfigureAwait(false))
            {
                session.Deliver(frame);
            }

            return;
        }

        var userIds = await audiences.ResolveAsync(dispatch.Audience, cancellationToken).ConfigureAwait(false);
        var staffOnly = dispatch.Audience is EventAudience.Staff;
        var receivers = SessionsOf(userIds);
        foreach (var session in receivers)
        {
            if (!staffOnly || session.StaffEvents)
            {
                session.Deliver(frame);
            }
        }

        // A user who left a guild no longer gets its presence changes: GUILD_DELETE goes to it on every way out
        // but account deletion, which ends its sessions anyway.
        if (dispatch.Name == GatewayEvents.GuildDelete && DeletedGuildId(dispatch.Payload) is { } guildId)
        {
            foreach (var session in receivers)
            {
                subscriptions.Remove(session, guildId);
            }
        }
    }

    /// <summary>
    /// The sessions a presence change of <paramref name="userId"/> goes to: its observers' through small guilds
    /// and friendships, and those subscribed to its large guilds, except its own (they get the real status
    /// separately) and those of users on either side of a block with it. Each session once.
    /// </summary>
    private async Task<HashSet<GatewaySession>> PresenceSessionsAsync(long userId, CancellationToken cancellationToken)
    {
        var audience = await audiences.ResolvePresenceAsync(userId, cancellationToken).ConfigureAwait(false);
        var receivers = new HashSet<GatewaySession>(SessionsOf(audience.Observers));
        if (audience.LargeGuilds.Count > 0)
        {
            subscriptions.AddSubscribersOf(audience.LargeGuilds, receivers);
            receivers.RemoveWhere(session => session.UserId == userId || audience.Blocked.Contains(session.UserId));
        }

        return receivers;
    }

    /// <summary>The guild id of a GUILD_DELETE payload: the object on this server, its JSON when it came from another.</summary>
    private static long? DeletedGuildId(object payload) => payload switch
    {
        GuildDeleted deleted => deleted.Id,
        JsonElement { ValueKind: JsonValueKind.Object } json when json.TryGetProperty("id", out var id) =>
            id.ValueKind == JsonValueKind.String && long.TryParse(id.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed
            : id.ValueKind == JsonValueKind.Number && id.TryGetInt64(out var number) ? number : null,
        _ => null,
    };

    private void Close(CloseConnections close)
    {
        List<GatewaySession> affected;
        lock (registryGate)
        {
            affected = sessionsByUser.TryGetValue(close.UserId, out var list)
                ? list.Where(s => close.SessionId is null || s.Caller.SessionId == close.SessionId).ToList()
                : [];
        }

        foreach (var session in affected)
        {
            End(session, close.CloseCode, close.Reason);
        }
    }

    private void End(GatewaySession session, int code, string reason)
    {
        Unregister(session);
        if (session.TakeConnection() is { } connection)
        {
            presence.ConnectionClosed(session.UserId);
            connection.Close(code, reason, discardQueued: false);
        }
    }

    /// <summary>Removes a session from the registry; false when it was no longer there.</summary>
    private bool Unregister(GatewaySession session)
    {
        if (!sessions.TryRemove(session.Id, out _))
        {
            return false;
        }

        subscriptions.RemoveAll(session);

        lock (registryGate)
        {
            if (sessionsByUser.TryGetValue(session.UserId, out var list))
            {
                list.Remove(session);
                if (list.Count == 0)
                {
                    sessionsByUser.Remove(session.UserId);
                }
            }
        }

        return true;
    }

    private void Register(GatewaySession session)
    {
        sessions[session.Id] = session;
        lock (registryGate)
        {
            if (!sessionsByUser.TryGetValue(session.UserId, out var list))
            {
                sessionsByUser[session.UserId] = list = [];
            }

            list.Add(session);
        }
    }

    private List<GatewaySession> SessionsOf(IEnumerable<long> userIds)
    {
        var result = new List<GatewaySession>();
        lock (registryGate)
        {
            foreach (var userId in userIds)
            {
                if (sessionsByUser.TryGetValue(userId, out var list))
                {
                    result.AddRange(list);
                }
            }
        }

        return result;
    }

    private bool Expired(GatewaySession session) =>
        session.DetachedAt is { } at && clock.GetUtcNow() - at > options.ResumeWindow;

    private async Task SweepAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                foreach (var session in sessions.Values.Where(Expired).ToList())
                {
                    End(session);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
