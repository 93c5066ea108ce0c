using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Rpc.Server.Events;

namespace Rpc.Server.Services;

/// <summary>
/// Recent answers of <c>users.check</c>, which sign-up forms call on every keystroke and which costs
/// normalization and an index look-up otherwise. Answers are keyed by the name as asked (its answer
/// depends on nothing else), so a repeated question skips the normalization too. Any committed change
/// to a username calls <see cref="Invalidate"/>, which publishes <see cref="UsernamesChanged"/>:
/// delivered here at once, it drops every answer by moving the generation on, and an answer computed
/// from a read that raced with the change carries the old generation and is never served. On
/// PostgreSQL the bus carries it to the other servers too; a change it cannot carry (another process
/// without the bus, a lost notification) shows after <see cref="AccountOptions.CheckCacheSeconds"/> at
/// most. Registration never trusts this cache: the unique indexes decide.
/// </summary>
public sealed class UsernameCheckCache(IOptions<AccountOptions> options, TimeProvider time, IEventBus bus) : IEventSink
{
    private readonly ConcurrentDictionary<string, Entry> entries = new(StringComparer.Ordinal);
    private readonly long lifetimeTicks = (long)(options.Value.CheckCacheSeconds * time.TimestampFrequency);
    private readonly int capacity = options.Value.CheckCacheEntries;
    private long generation;
    private int count;

    /// <summary>Longer questions are answered but not kept, so the cache's memory stays bounded by its entry count.</summary>
    public const int MaxKeyLength = 64;

    /// <summary>
    /// The cached answer for <paramref name="key"/>, or <paramref name="load"/>'s (called with <paramref name="state"/>),
    /// remembered for the next calls unless a change raced with it.
    /// </summary>
    public async ValueTask<bool> GetOrLoadAsync<TState>(string key, TState state, Func<TState, CancellationToken, Task<bool>> load, CancellationToken cancellationToken)
    {
        if (lifetimeTicks <= 0 || capacity <= 0 || key.Length > MaxKeyLength)
        {
            return await load(state, cancellationToken).ConfigureAwait(false);
        }

        var current = Volatile.Read(ref generation);
        var now = time.GetTimestamp();
        if (entries.TryGetValue(key, out var entry) && entry.Generation == current && now < entry.ExpiresAt)
        {
            Operations.ServerMetrics.CheckCacheLookup(hit: true);
            return entry.Exists;
        }

        Operations.ServerMetrics.CheckCacheLookup(hit: false);

        var exists = await load(state, cancellationToken).ConfigureAwait(false);
        var fresh = new Entry(exists, current, now + lifetimeTicks);
        if (!entries.TryAdd(key, fresh))
        {
            entries[key] = fresh;
        }
        else if (Interlocked.Increment(ref count) > capacity)
        {
            // Bounded: many distinct names (an enumeration, say) start the cache over rather than grow it.
            // The count is kept here because ConcurrentDictionary.Count takes every lock of the table.
            entries.Clear();
            Interlocked.Exchange(ref count, 0);
        }

        return exists;
    }

    /// <summary>Forgets every answer, here and on the servers sharing the database; call after committing any change that adds, renames or frees a username.</summary>
    public void Invalidate() => bus.Publish(new UsernamesChanged());

    public void Deliver(BusMessage message)
    {
        if (message is UsernamesChanged)
        {
            Interlocked.Increment(ref generation);
        }
    }

    private readonly record struct Entry(bool Exists, long Generation, long ExpiresAt);
}
