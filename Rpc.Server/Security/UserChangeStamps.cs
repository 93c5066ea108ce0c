using System.Collections.Concurrent;
using Rpc.Contracts.Gateway;
using Rpc.Server.Events;

namespace Rpc.Server.Security;

/// <summary>
/// Generation stamps for what servers cache per user (resolved sessions, the caller's own object), as
/// <c>UsernameCheckCache</c> stamps its answers. A reader takes <see cref="Current"/> before it reads the
/// database and keeps it with what it read; every committed change that ends a session or changes a
/// user is delivered here (at once on this server, through the bus on the others) and marks the user at
/// a new generation, so a value read before the change, even one whose read raced with it, carries an
/// older stamp and is never served again (<see cref="IsCurrent"/>). The messages: <see cref="CloseConnections"/>
/// (logout, revocation, password change or reset, disable, deletion, bot token reset, expiry sweep),
/// <c>USER_UPDATE</c> (profile, flags, staff, deletion) and <see cref="UserChanged"/> (Discord link, two-factor login).
/// </summary>
public sealed class UserChangeStamps : IEventSink
{
    /// <summary>Users marked before everything is marked at once instead, which bounds the marks' memory.</summary>
    public const int MaxMarks = 100_000;

    private readonly Lock gate = new();
    private readonly ConcurrentDictionary<long, long> marks = new();
    private long generation;
    private long floor;
    private int markCount;

    /// <summary>The generation to stamp a value with: read it before reading the database.</summary>
    public long Current => Volatile.Read(ref generation);

    /// <summary>Whether a value of <paramref name="userId"/> stamped <paramref name="stamp"/> was read after the user's last change.</summary>
    public bool IsCurrent(long userId, long stamp) =>
        stamp >= Volatile.Read(ref floor) && (!marks.TryGetValue(userId, out var mark) || stamp >= mark);

    /// <summary>Makes every value of <paramref name="userId"/> read so far stale (here only; publish a bus message to reach every server).</summary>
    public void Invalidate(long userId)
    {
        // Changes are rare next to reads: one lock keeps a reset from erasing a mark made meanwhile.
        lock (gate)
        {
            var next = Interlocked.Increment(ref generation);
            if (marks.TryAdd(userId, next) && ++markCount > MaxMarks)
            {
                Volatile.Write(ref floor, next);
                marks.Clear();
                markCount = 0;
            }
            else
            {
                marks[userId] = next;
            }
        }
    }

    public void Deliver(BusMessage message)
    {
        switch (message)
        {
            case CloseConnections close:
                Invalidate(close.UserId);
                break;
            case UserChanged changed:
                Invalidate(changed.UserId);
                break;
            case DispatchEvent { Name: GatewayEvents.UserUpdate, Audience: EventAudience.UserAndObservers audience }:
                Invalidate(audience.UserId);
                break;
        }
    }
}
