using Rpc.Contracts.Protocol;
using Rpc.Server.Errors;

namespace Rpc.Server.Security;

/// <summary>
/// The slots for password hashes and the bounded, per-address-fair line in front of them. Each client
/// address waits in its own line and the lines take turns for each freed slot, so one address flooding
/// logins delays another address's login by about one hash per busy address, not by the length of the
/// flood. The line is bounded in all (<see cref="PasswordOptions.MaxQueuedHashes"/>) and per address
/// (<see cref="PasswordOptions.MaxQueuedHashesPerAddress"/>); past either bound a call fails at once
/// with <see cref="ErrorData.ServerBusy"/> instead of holding a request (and its memory) for minutes.
/// An address also runs at most <c>maxRunningPerAddress</c> hashes at once (by default half the slots), so a
/// flood from one address leaves the other slots, and the cores under them, to the other addresses' logins:
/// with every slot taken by the flood, another address's login waited for a slot and then shared the cores
/// with the flood's hashes (issue #11's bench: p99 8 times its idle figure).
/// </summary>
public sealed class HashQueue
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, LinkedList<Waiter>> lines = new(StringComparer.Ordinal);

    // Addresses whose turn comes next; an address is here exactly when it has a line in `lines`
    // (a line emptied by cancellations stays until its turn comes, then is dropped).
    private readonly Queue<string> turns = new();
    private readonly int maxQueued;
    private readonly int maxQueuedPerAddress;
    private readonly int maxRunningPerAddress;
    private readonly Dictionary<string, int> running = new(StringComparer.Ordinal);
    private readonly HashSet<string> uncapped;
    private int free;
    private int queued;

    /// <param name="slots">Hashes computed at once.</param>
    /// <param name="maxQueued">Hashes waiting, from all addresses.</param>
    /// <param name="maxQueuedPerAddress">Hashes waiting from one address.</param>
    /// <param name="maxRunningPerAddress">Hashes computed at once for one address (at most <paramref name="slots"/>).</param>
    /// <param name="uncappedKeys">Keys that may take every slot: the server's own work, which no client sends.</param>
    public HashQueue(int slots, int maxQueued, int maxQueuedPerAddress, int maxRunningPerAddress, params string[] uncappedKeys)
    {
        free = slots;
        this.maxQueued = maxQueued;
        this.maxQueuedPerAddress = maxQueuedPerAddress;
        this.maxRunningPerAddress = Math.Clamp(maxRunningPerAddress, 1, slots);
        uncapped = new HashSet<string>(uncappedKeys, StringComparer.Ordinal);
    }

    /// <summary>Hashes waiting for a slot now.</summary>
    public int Queued
    {
        get
        {
            lock (gate)
            {
                return queued;
            }
        }
    }

    /// <summary>Waits for a slot in <paramref name="addressKey"/>'s turn; release it with <see cref="Release"/> and the same key.</summary>
    public Task EnterAsync(string addressKey, CancellationToken cancellationToken)
    {
        Waiter waiter;
        lock (gate)
        {
            if (free > 0 && MayRun(addressKey))
            {
                Start(addressKey);
                return Task.CompletedTask;
            }

            if (queued >= maxQueued)
            {
                throw ServiceException.Refused(ErrorData.ServerBusy);
            }

            if (!lines.TryGetValue(addressKey, out var line))
            {
                line = new LinkedList<Waiter>();
                lines[addressKey] = line;
                turns.Enqueue(addressKey);
            }

            if (line.Count >= maxQueuedPerAddress)
            {
                throw ServiceException.Refused(ErrorData.ServerBusy);
            }

            waiter = new Waiter(this);
            waiter.Node = line.AddLast(waiter);
            queued++;
        }

        if (cancellationToken.CanBeCanceled)
        {
            waiter.Registration = cancellationToken.Register(static state => ((Waiter)state!).Cancel(), waiter);
        }

        return waiter.Task;
    }

    /// <summary>
    /// Gives back the slot of a hash of <paramref name="addressKey"/>: to the first waiter of the next address in turn
    /// that may run one more, or to the free pool.
    /// </summary>
    public void Release(string addressKey)
    {
        Waiter? next = null;
        lock (gate)
        {
            running[addressKey] -= 1;
            if (running[addressKey] == 0)
            {
                running.Remove(addressKey);
            }

            free++;
            // Each address in turn once at most: one at its cap keeps its place in the round for a later release.
            for (var tries = turns.Count; tries > 0 && turns.TryDequeue(out var key); tries--)
            {
                var line = lines[key];
                if (line.Count == 0)
                {
                    lines.Remove(key);
                    continue;
                }

                if (!MayRun(key))
                {
                    turns.Enqueue(key);
                    continue;
                }

                next = line.First!.Value;
                line.RemoveFirst();
                queued--;
                Start(key);
                if (line.Count > 0)
                {
                    turns.Enqueue(key);
                }
                else
                {
                    lines.Remove(key);
                }

                break;
            }
        }

        next?.Grant();
    }

    // Under the lock.
    private bool MayRun(string key) => uncapped.Contains(key) || running.GetValueOrDefault(key) < maxRunningPerAddress;

    // Under the lock: a slot taken for key.
    private void Start(string key)
    {
        free--;
        running[key] = running.GetValueOrDefault(key) + 1;
    }

    private void Cancel(Waiter waiter)
    {
        lock (gate)
        {
            if (waiter.Node?.List is null)
            {
                // Already granted: the caller owns a slot and releases it as usual.
                return;
            }

            waiter.Node.List.Remove(waiter.Node);
            queued--;
        }

        waiter.Cancelled();
    }

    private sealed class Waiter(HashQueue queue)
    {
        private readonly TaskCompletionSource completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public LinkedListNode<Waiter>? Node { get; set; }

        public CancellationTokenRegistration Registration { get; set; }

        public Task Task => completion.Task;

        public void Grant()
        {
            Registration.Dispose();
            completion.TrySetResult();
        }

        public void Cancel() => queue.Cancel(this);

        public void Cancelled() => completion.TrySetCanceled();
    }
}
