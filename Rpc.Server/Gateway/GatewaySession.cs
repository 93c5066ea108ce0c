using Rpc.Contracts.Gateway;
using Rpc.Server.Operations;
using Rpc.Server.Security;

namespace Rpc.Server.Gateway;

/// <summary>A connection as the gateway sees it.</summary>
public interface IGatewayConnection
{
    /// <summary>
    /// Queues event <paramref name="frame"/> numbered <paramref name="seq"/> without waiting; false when the
    /// connection's queue is full (in frames or in bytes) or the connection is closing.
    /// </summary>
    bool TrySend(EventFrame frame, long seq);

    /// <summary>
    /// Closes the connection with <paramref name="code"/>. With <paramref name="discardQueued"/> false, the
    /// replies of requests still running and the frames already queued are sent first.
    /// </summary>
    void Close(int code, string reason, bool discardQueued);
}

/// <summary>What <see cref="GatewaySession.Resume"/> did.</summary>
public enum ResumeOutcome
{
    /// <summary>The new connection is attached and has the missed events.</summary>
    Resumed,

    /// <summary>The seq given is beyond the last event; nothing changed.</summary>
    SeqAhead,

    /// <summary>Some events after the seq given are no longer kept; nothing changed.</summary>
    EventsGone,

    /// <summary>The missed events did not fit in the new connection's queue; the session was left as it was.</summary>
    Overflowed,
}

/// <summary>
/// One authenticated gateway session: its events' sequence numbers, the recent events kept for a
/// resume (at most <paramref name="replayBufferSize"/> of them and <paramref name="replayBufferBytes"/>
/// bytes), and the connection it is attached to (none between a disconnect and a resume). Until
/// <see cref="Start"/> puts READY first, the events it is given wait, so none is lost between READY's
/// snapshot and the session's registration.
/// </summary>
public sealed class GatewaySession(string id, string token, Caller caller, int replayBufferSize, long replayBufferBytes, TimeProvider clock)
{
    private readonly object gate = new();
    private readonly Queue<(long Seq, EventFrame Frame)> replay = new();
    private long replayBytes;
    private List<EventFrame>? waiting = [];
    private bool ended;
    private long seq;
    private IGatewayConnection? connection;

    public string Id { get; } = id;

    /// <summary>The token the session was started with; a connection that resumes it acts with this token.</summary>
    public string Token { get; } = token;

    public Caller Caller { get; } = caller;

    public long UserId => Caller.UserId;

    /// <summary>Whether this session receives events for the Staff audience.</summary>
    public volatile bool StaffEvents;

    /// <summary>When the session lost its connection; null while attached.</summary>
    public DateTimeOffset? DetachedAt { get; private set; }

    /// <summary>The sequence number of the last event the session numbered (0 before READY).</summary>
    public long LastSeq
    {
        get
        {
            lock (gate)
            {
                return seq;
            }
        }
    }

    public bool IsAttached
    {
        get
        {
            lock (gate)
            {
                return connection is not null;
            }
        }
    }

    /// <summary>
    /// Numbers, keeps and (when attached) sends an event; before <see cref="Start"/> the event waits.
    /// A full queue closes the connection as a slow consumer.
    /// </summary>
    public void Deliver(EventFrame frame)
    {
        IGatewayConnection? overflowed;
        lock (gate)
        {
            if (waiting is not null)
            {
                waiting.Add(frame);
                return;
            }

            overflowed = Send(frame);
        }

        overflowed?.Close(GatewayCloseCodes.SlowConsumer, "slow consumer: outgoing queue overflowed", discardQueued: true);
    }

    /// <summary>
    /// Attaches the first connection and sends it READY (sequence number 1), then the events that waited
    /// for it; false when the session was ended meanwhile (its token revoked while READY was built).
    /// </summary>
    public bool Start(IGatewayConnection first, EventFrame ready)
    {
        IGatewayConnection? overflowed = null;
        lock (gate)
        {
            if (ended)
            {
                return false;
            }

            ServerMetrics.GatewaySessionAttached();
            connection = first;
            DetachedAt = null;
            var early = waiting ?? [];
            waiting = null;
            foreach (var frame in early.Prepend(ready))
            {
                overflowed ??= Send(frame);
            }
        }

        overflowed?.Close(GatewayCloseCodes.SlowConsumer, "slow consumer: outgoing queue overflowed", discardQueued: true);
        return true;
    }

    /// <summary>Detaches <paramref name="closed"/> if it is still this session's connection.</summary>
    public bool Detach(IGatewayConnection closed)
    {
        lock (gate)
        {
            if (!ReferenceEquals(connection, closed))
            {
                return false;
            }

            connection = null;
            DetachedAt = clock.GetUtcNow();
            ServerMetrics.GatewaySessionDetached();
            return true;
        }
    }

    /// <summary>
    /// Sends <paramref name="newConnection"/> every kept event after <paramref name="lastSeen"/>, then
    /// <paramref name="resumed"/>, and attaches it in place of <paramref name="previous"/> (the connection
    /// attached until then, if any). Anything but <see cref="ResumeOutcome.Resumed"/> leaves the session as it was.
    /// </summary>
    public ResumeOutcome Resume(IGatewayConnection newConnection, long lastSeen, Func<int, EventFrame> resumed, out int replayed, out IGatewayConnection? previous)
    {
        replayed = 0;
        previous = null;
        IGatewayConnection? overflowed;
        lock (gate)
        {
            if (waiting is not null)
            {
                return ResumeOutcome.EventsGone;
            }

            if (lastSeen > seq)
            {
                return ResumeOutcome.SeqAhead;
            }

            if (lastSeen < seq && (replay.Count == 0 || replay.Peek().Seq > lastSeen + 1))
            {
                return ResumeOutcome.EventsGone;
            }

            var missed = replay.Where(e => e.Seq > lastSeen).ToList();
            foreach (var (number, frame) in missed)
            {
                if (!newConnection.TrySend(frame, number))
                {
                    return ResumeOutcome.Overflowed;
                }
            }

            previous = connection;
            if (previous is null)
            {
                ServerMetrics.GatewaySessionAttached();
            }

            connection = newConnection;
            DetachedAt = null;
            replayed = missed.Count;
            overflowed = Send(resumed(replayed));
        }

        overflowed?.Close(GatewayCloseCodes.SlowConsumer, "slow consumer: outgoing queue overflowed", discardQueued: true);
        return ResumeOutcome.Resumed;
    }

    /// <summary>Ends the session: returns the attached connection, for closing it; a session not yet started will not start.</summary>
    public IGatewayConnection? TakeConnection()
    {
        lock (gate)
        {
            ended = true;
            var current = connection;
            if (current is not null)
            {
                ServerMetrics.GatewaySessionDetached();
            }

            connection = null;
            DetachedAt ??= clock.GetUtcNow();
            return current;
        }
    }

    /// <summary>Numbers, keeps and sends one event; returns the connection when its queue overflowed (it is detached).</summary>
    private IGatewayConnection? Send(EventFrame frame)
    {
        ++seq;
        if (replayBufferSize > 0)
        {
            // Counted whole for each session although the frame is shared: the bound holds whoever else keeps it.
            replay.Enqueue((seq, frame));
            replayBytes += frame.MaxLength;
            while (replay.Count > replayBufferSize || replayBytes > replayBufferBytes)
            {
                replayBytes -= replay.Dequeue().Frame.MaxLength;
            }
        }

        if (connection is not null && !connection.TrySend(frame, seq))
        {
            ServerMetrics.EventDropped();
            ServerMetrics.SlowConsumerClosed();
            ServerMetrics.GatewaySessionDetached();
            var overflowed = connection;
            connection = null;
            DetachedAt = clock.GetUtcNow();
            return overflowed;
        }

        if (connection is not null)
        {
            ServerMetrics.EventSent();
        }

        return null;
    }
}
