using Rpc.Contracts.Gateway;
using Rpc.Server.Operations;
using Rpc.Server.Security;

namespace Rpc.Server.Gateway;

/// <summary>A connection as the gateway sees it.</summary>
public interface IGatewayConnection
{
    /// <summary>Queues a frame without waiting; false when the connection's queue is full.</summary>
    bool TrySend(byte[] frame);

    /// <summary>
    /// Closes the connection with <paramref name="code"/>. With <paramref name="discardQueued"/> false, the
    /// replies of requests still running and the frames already queued are sent first.
    /// </summary>
    void Close(int code, string reason, bool discardQueued);
}

/// <summary>
/// One authenticated gateway session: its events' sequence numbers, the recent events kept for a
/// resume, and the connection it is attached to (none between a disconnect and a resume).
/// </summary>
public sealed class GatewaySession(string id, Caller caller, int replayBufferSize, TimeProvider clock)
{
    private readonly object gate = new();
    private readonly Queue<(long Seq, byte[] Frame)> replay = new();
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
            var bytes = frame.Encode(++seq);
            if (replayBufferSize > 0)
            {
                replay.Enqueue((seq, bytes));
                if (replay.Count > replayBufferSize)
                {
                    replay.Dequeue();
                }
            }

            if (connection is not null && !connection.TrySend(bytes))
            {
                ServerMetrics.EventDropped();
                ServerMetrics.SlowConsumerClosed();
                ServerMetrics.GatewaySessionDetached();
                overflowed = connection;
                connection = null;
                DetachedAt = clock.GetUtcNow();
            }
            else if (connection is not null)
            {
                ServerMetrics.EventSent();
            }
        }

        overflowed?.Close(GatewayCloseCodes.SlowConsumer, "slow consumer: outgoing queue overflowed", discardQueued: true);
    }

    public void Attach(IGatewayConnection newConnection)
    {
        lock (gate)
        {
            if (connection is null)
            {
                ServerMetrics.GatewaySessionAttached();
            }

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
            ServerMetrics.GatewaySessionDetached();
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
            foreach (var (_, bytes) in missed)
            {
                if (!newConnection.TrySend(bytes))
                {
                    return null;
                }
            }

            if (connection is null)
            {
                ServerMetrics.GatewaySessionAttached();
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
            if (current is not null)
            {
                ServerMetrics.GatewaySessionDetached();
            }

            connection = null;
            DetachedAt ??= clock.GetUtcNow();
            return current;
        }
    }
}
