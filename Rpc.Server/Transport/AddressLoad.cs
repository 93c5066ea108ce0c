namespace Rpc.Server.Transport;

/// <summary>
/// What all the WebSockets from one client address hold in the server's memory together: bytes of messages
/// being read or processed (<see cref="Dispatch.RpcLimitsOptions.MaxInFlightBytesPerAddress"/>) and bytes of
/// replies not yet written to their sockets (<see cref="Gateway.GatewayOptions.MaxQueuedReplyBytesPerAddress"/>).
/// Each connection's own bounds alone let an address hold them once per connection: a hundred sockets that send
/// 1 MB batches and never read held about 600 MiB (issue #11's bench) before these were shared per address.
/// Messages wait for room, in order, before they are read past their first few kilobytes, so a flooding address
/// takes its turns and waits in TCP; a reply that finds no room is refused and its connection closed as a slow
/// consumer, since the room frees only when that address's clients read. Large messages are also processed one
/// at a time (<see cref="EnterLargeAsync"/>), so one address's floods keep at most one thread busy.
/// With a <paramref name="total"/>, the bytes in flight are also counted there, the bound of all addresses together
/// (<see cref="Dispatch.RpcLimitsOptions.MaxInFlightBytesTotal"/>), so many addresses cannot multiply the bound either.
/// </summary>
public sealed class AddressLoad(long maxInFlightBytes, long maxReplyBytes, AddressLoad? total = null)
{
    private readonly SemaphoreSlim large = new(1, 1);
    private readonly Lock gate = new();
    private readonly Queue<Waiter> waiters = new();
    private long inFlight;
    private long replies;

    /// <summary>Bytes of messages being read or processed now.</summary>
    public long InFlightBytes
    {
        get
        {
            lock (gate)
            {
                return inFlight;
            }
        }
    }

    /// <summary>Bytes of replies accepted and not yet written now.</summary>
    public long ReplyBytes => Interlocked.Read(ref replies);

    /// <summary>
    /// Waits until <paramref name="bytes"/> fit beside what the address already has in flight (or it has nothing
    /// in flight), after the earlier waiters, then counts them. Give them back with <see cref="Release"/>.
    /// </summary>
    public async Task ReserveAsync(long bytes, CancellationToken cancellationToken)
    {
        await ReserveHereAsync(bytes, cancellationToken).ConfigureAwait(false);
        if (total is null)
        {
            return;
        }

        try
        {
            await total.ReserveAsync(bytes, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            ReleaseHere(bytes);
            throw;
        }
    }

    private async Task ReserveHereAsync(long bytes, CancellationToken cancellationToken)
    {
        var waiter = new Waiter(this, bytes);
        lock (gate)
        {
            waiters.Enqueue(waiter);
            Admit();
        }

        if (!waiter.Completion.Task.IsCompleted)
        {
            using var registration = cancellationToken.Register(static state => ((Waiter)state!).Cancel(), waiter);
            await waiter.Completion.Task.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Gives back <paramref name="bytes"/> counted by <see cref="ReserveAsync"/> and admits the waiters that now fit;
    /// a negative count is counted in flight without waiting (a message that came whole in its first read).
    /// </summary>
    public void Release(long bytes)
    {
        ReleaseHere(bytes);
        total?.Release(bytes);
    }

    private void ReleaseHere(long bytes)
    {
        lock (gate)
        {
            inFlight -= bytes;
            Admit();
        }
    }

    // Under the lock: the waiters at the head that fit, in order; a cancelled one leaves its place.
    private void Admit()
    {
        while (waiters.TryPeek(out var next) && (next.Completion.Task.IsCompleted || Fits(next.Bytes)))
        {
            waiters.Dequeue();
            if (next.Completion.TrySetResult())
            {
                inFlight += next.Bytes;
            }
        }
    }

    private void Cancelled()
    {
        lock (gate)
        {
            Admit();
        }
    }

    /// <summary>Waits until no other large message of the address is being processed; leave with <see cref="LeaveLarge"/>.</summary>
    public Task EnterLargeAsync(CancellationToken cancellationToken) => large.WaitAsync(cancellationToken);

    /// <summary>Ends the processing of a large message entered with <see cref="EnterLargeAsync"/>.</summary>
    public void LeaveLarge() => large.Release();

    /// <summary>
    /// Counts a reply of <paramref name="bytes"/> until <see cref="ReplyWritten"/>, unless it would pass the bound
    /// while the address has other replies waiting (a lone reply larger than the bound still goes).
    /// </summary>
    public bool TryHoldReply(long bytes)
    {
        var after = Interlocked.Add(ref replies, bytes);
        if (after > maxReplyBytes && after != bytes)
        {
            Interlocked.Add(ref replies, -bytes);
            return false;
        }

        return true;
    }

    /// <summary>A reply counted by <see cref="TryHoldReply"/> was written (or dropped).</summary>
    public void ReplyWritten(long bytes) => Interlocked.Add(ref replies, -bytes);

    private bool Fits(long bytes) => inFlight <= 0 || inFlight + bytes <= maxInFlightBytes;

    private sealed class Waiter(AddressLoad load, long bytes)
    {
        public long Bytes => bytes;

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Cancel()
        {
            if (Completion.TrySetCanceled())
            {
                load.Cancelled();
            }
        }
    }
}
