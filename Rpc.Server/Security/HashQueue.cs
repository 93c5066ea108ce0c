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
    private int free;
    private int queued;

    public HashQueue(int slots, int maxQueued, int maxQueuedPerAddress)
    {
        free = slots;
        this.maxQueued = maxQueued;
        this.maxQueuedPerAddress = maxQueuedPerAddress;
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

    /// <summary>Waits for a slot in <paramref name="addressKey"/>'s turn; release it with <see cref="Release"/>.</summary>
    public Task EnterAsync(string addressKey, CancellationToken cancellationToken)
    {
        Waiter waiter;
        lock (gate)
        {
            if (free > 0)
            {
                free--;
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

    /// <summary>Gives a slot back: to the next address's first waiter, or to the free pool.</summary>
    public void Release()
    {
        Waiter? next = null;
        lock (gate)
        {
            while (turns.TryDequeue(out var key))
            {
                var line = lines[key];
                if (line.Count == 0)
                {
                    lines.Remove(key);
                    continue;
                }

                next = line.First!.Value;
                line.RemoveFirst();
                queued--;
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

            if (next is null)
            {
                free++;
            }
        }

        next?.Grant();
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
