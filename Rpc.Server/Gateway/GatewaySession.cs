using Rpc.Contracts.Gateway;
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

/// <summary>
/// One authenticated gateway session: its events' sequence numbers, the recent events kept for a
/// resume (at most <paramref name="replayBufferSize"/> of them and <paramref name="replayBufferBytes"/>
/// bytes), and the connection it is attached to (none between a disconnect and a resume).
/// </summary>
public sealed class GatewaySession(string id, Caller caller, int replayBufferSize, long replayBufferBytes, TimeProvider clock)
{
    private readonly object gate = new();
    private readonly Queue<(long Seq, EventFrame Frame)> replay = new();
    private long replayBytes;
    private long seq;
    private IGatewayConnection? connection;

    public string Id { get; } = id;

    public Caller Caller { get; } = caller;

    public long UserId => Caller.UserId;

    /// <summary>Whether this session receives events for the Staff audience.</summary>
    public volatile bool StaffEvents;

    /// <summary>When the session lost its connection; null while attached.</summary>
    public DateTimeOffset? DetachedAt { get; private set; }

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

    /// <summary>Numbers, keeps and (when attached) sends an event. A full queue closes the connection as a slow consumer.</summary>
    public void Deliver(EventFrame frame)
    {
        IGatewayConnection? overflowed = null;
        lock (gate)
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
                overflowed = connection;
                connection = null;
                DetachedAt = clock.GetUtcNow();
            }
        }

        overflowed?.Close(GatewayCloseCodes.SlowConsumer, "slow consumer: outgoing queue overflowed", discardQueued: true);
    }

    public void Attach(IGatewayConnection newConnection)
    {
        lock (gate)
        {
            connection = newConnection;
            DetachedAt = null;
        }
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
            return true;
        }
    }

    /// <summary>
    /// Attaches <paramref name="newConnection"/> and sends it every kept event after <paramref name="lastSeen"/>;
    /// null when some of them are no longer kept (or <paramref name="lastSeen"/> is in the future).
    /// </summary>
    public int? Resume(IGatewayConnection newConnection, long lastSeen)
    {
        lock (gate)
        {
            if (lastSeen > seq || (lastSeen < seq && (replay.Count == 0 || replay.Peek().Seq > lastSeen + 1)))
            {
                return null;
            }

            var missed = replay.Where(e => e.Seq > lastSeen).ToList();
            foreach (var (number, frame) in missed)
            {
                if (!newConnection.TrySend(frame, number))
                {
                    return null;
                }
            }

            connection = newConnection;
            DetachedAt = null;
            return missed.Count;
        }
    }

    /// <summary>The attached connection, for closing it.</summary>
    public IGatewayConnection? TakeConnection()
    {
        lock (gate)
        {
            var current = connection;
            connection = null;
            DetachedAt ??= clock.GetUtcNow();
            return current;
        }
    }
}
