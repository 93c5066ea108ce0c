using System.Collections.Concurrent;

namespace Rpc.Server.Security;

/// <summary>
/// The threads that compute password hashes: one per hash slot, started on first use and kept for the life of the
/// process. A hash is tens of milliseconds of CPU, so it never runs on the thread pool, where a few of them kept
/// cheap calls waiting. A new thread per hash was tried first: each one's exit unmapped its stack, which waits for
/// the process's memory-map lock while another hash maps and fills its m KiB (libsodium maps each hash's memory),
/// so hash threads stood blocked, cores idle, for a few milliseconds per login.
/// The caller's continuation runs on the thread pool, never here, so a login's database write does not hold a
/// hash thread.
/// </summary>
internal sealed class HashThreads(int count) : IDisposable
{
    private readonly BlockingCollection<Action> work = new();
    private int started;

    /// <summary>Runs <paramref name="compute"/> on a hash thread; the HashQueue keeps at most <c>count</c> waiting here.</summary>
    public Task<T> RunAsync<T>(Func<T> compute)
    {
        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        work.Add(() =>
        {
            try
            {
                completion.SetResult(compute());
            }
            catch (Exception e)
            {
                completion.SetException(e);
            }
        });
        StartThreadIfNeeded();
        return completion.Task;
    }

    public void Dispose() => work.CompleteAdding();

    private void StartThreadIfNeeded()
    {
        var current = Volatile.Read(ref started);
        while (current < count && work.Count > 0)
        {
            if (Interlocked.CompareExchange(ref started, current + 1, current) == current)
            {
                new Thread(Loop) { IsBackground = true, Name = "password hash" }.Start();
                return;
            }

            current = Volatile.Read(ref started);
        }
    }

    private void Loop()
    {
        foreach (var item in work.GetConsumingEnumerable())
        {
            item();
        }
    }
}
