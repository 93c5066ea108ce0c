using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Rpc.Contracts.Gateway;
using Rpc.Server.Security;
using Rpc.Server.Services;

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
    private readonly ReadyEventBuilder ready;
    private readonly PresenceService presence;
    private readonly GatewayOptions options;
    private readonly TimeProvider clock;
    private readonly ILogger<GatewayHub> logger;

    public GatewayHub(AudienceResolver audiences, ReadyEventBuilder ready, PresenceService presence, IOptions<GatewayOptions> options, TimeProvider clock, ILogger<GatewayHub> logger)
    {
        this.audiences = audiences;
        this.ready = ready;
        this.presence = presence;
        this.options = options.Value;
        this.clock = clock;
        this.logger = logger;
    }

    /// <summary>Sessions attached to a connection right now, for tests and the benchmark.</summary>
    public int AttachedSessions => sessions.Values.Count(s => s.IsAttached);

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
    /// Starts a gateway session for a connection that just authenticated and queues its READY event
    /// (sequence number 1) ahead of any other event.
    /// </summary>
    public async Task<GatewaySession> StartAsync(IGatewayConnection connection, Caller caller, CancellationToken cancellationToken)
    {
        var session = new GatewaySession(TokenService.NewToken()[..22], caller, options.ReplayBufferSize, options.ReplayBufferBytes, clock);

        // Present first, so READY shows the user's own status; the update reaches its other sessions and observers.
        presence.ConnectionOpened(caller.UserId);
        EventFrame readyFrame;
        try
        {
            readyFrame = await ready.BuildAsync(session, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            presence.ConnectionClosed(caller.UserId);
            throw;
        }

        session.Attach(connection);
        session.Deliver(readyFrame);
        Register(session);
        return session;
    }

    /// <summary>Resumes a detached session of <paramref name="caller"/> on a new connection; null when it cannot be resumed.</summary>
    public (GatewaySession Session, int Replayed)? Resume(string sessionId, long lastSeen, Caller caller, IGatewayConnection connection)
    {
        if (!sessions.TryGetValue(sessionId, out var session) || session.UserId != caller.UserId || session.IsAttached || Expired(session))
        {
            return null;
        }

        var replayed = session.Resume(connection, lastSeen);
        if (replayed is null)
        {
            End(session);
            return null;
        }

        session.Deliver(new EventFrame(GatewayEvents.Resumed, new { session_id = session.Id, replayed }));
        presence.ConnectionOpened(caller.UserId);
        return (session, replayed.Value);
    }

    /// <summary>The connection of <paramref name="session"/> closed; the session waits for a resume.</summary>
    public void Disconnected(GatewaySession session, IGatewayConnection connection)
    {
        if (session.Detach(connection))
        {
            presence.ConnectionClosed(session.UserId);
        }
    }

    /// <summary>Ends a session for good (logout, revocation): it can no longer be resumed.</summary>
    public void End(GatewaySession session)
    {
        if (!sessions.TryRemove(session.Id, out _))
        {
            return;
        }

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

        if (session.TakeConnection() is { } connection)
        {
            presence.ConnectionClosed(session.UserId);
            connection.Close(1000, "session ended", discardQueued: false);
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
        var userIds = await audiences.ResolveAsync(dispatch.Audience, cancellationToken).ConfigureAwait(false);
        var staffOnly = dispatch.Audience is EventAudience.Staff;
        foreach (var session in SessionsOf(userIds))
        {
            if (!staffOnly || session.StaffEvents)
            {
                session.Deliver(frame);
            }
        }
    }

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
        var connection = session.TakeConnection();
        End(session);
        if (connection is not null)
        {
            presence.ConnectionClosed(session.UserId);
            connection.Close(code, reason, discardQueued: false);
        }
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
