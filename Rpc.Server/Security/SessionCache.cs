using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Rpc.Server.Data;

namespace Rpc.Server.Security;

/// <summary>
/// Resolved sessions, by the SHA-256 of their token, so that an authenticated call costs what an anonymous
/// one does instead of a join of <c>sessions</c> and <c>users</c>. Each entry is stamped by
/// <see cref="UserChangeStamps"/> before its read and is served only while its user has not changed since
/// (revocation, logout, password change, disable, deletion, staff change, expiry sweep), and for at most
/// <see cref="SessionLimitsOptions.CacheSeconds"/>. Expiry is checked on every hit from the entry's own
/// times, so an idle or too old session is refused as the database would refuse it.
/// </summary>
public sealed class SessionCache(UserChangeStamps stamps, TimeProvider time, IOptions<SessionLimitsOptions> options)
{
    private readonly ConcurrentDictionary<string, Entry> entries = new(StringComparer.Ordinal);
    private readonly long lifetimeTicks = (long)(options.Value.CacheSeconds * time.TimestampFrequency);
    private readonly int capacity = options.Value.CacheEntries;
    private int count;

    /// <summary>Whether resolved sessions are kept at all.</summary>
    public bool Enabled => lifetimeTicks > 0 && capacity > 0;

    /// <summary>The generation to stamp a read with, taken before the database is read.</summary>
    public long Stamp() => stamps.Current;

    /// <summary>The live cached session of <paramref name="tokenHash"/> (not changed since its read, not expired at <paramref name="cutoffs"/>).</summary>
    public Entry? Find(string tokenHash, SessionCutoffs cutoffs)
    {
        if (!Enabled || !entries.TryGetValue(tokenHash, out var entry))
        {
            return null;
        }

        if (time.GetTimestamp() >= entry.ExpiresAt || !stamps.IsCurrent(entry.Caller.UserId, entry.Stamp)
            || !(entry.NeverExpires || (entry.LastUsedAt > cutoffs.IdleCutoff && entry.CreatedAt > cutoffs.AbsoluteCutoff)))
        {
            // The database decides again: another server may have used the session since, or it ended.
            entries.TryRemove(new KeyValuePair<string, Entry>(tokenHash, entry));
            return null;
        }

        return entry;
    }

    /// <summary>Keeps <paramref name="session"/>, read at <paramref name="stamp"/>, unless its user changed meanwhile.</summary>
    public void Add(string tokenHash, ActiveSession session, long lastUsedAt, long stamp)
    {
        if (!Enabled || !stamps.IsCurrent(session.UserId, stamp))
        {
            return;
        }

        var entry = new Entry(new Caller(session.UserId, session.Id, session.Flags), session.CreatedAt, session.NeverExpires, lastUsedAt, stamp, time.GetTimestamp() + lifetimeTicks);
        if (!entries.TryAdd(tokenHash, entry))
        {
            entries[tokenHash] = entry;
        }
        else if (Interlocked.Increment(ref count) > capacity)
        {
            // Bounded as UsernameCheckCache is: many distinct tokens start the cache over rather than grow it.
            entries.Clear();
            Interlocked.Exchange(ref count, 0);
        }
    }

    /// <summary>A resolved session; <see cref="LastUsedAt"/> moves on as this server records its use.</summary>
    public sealed class Entry(Caller caller, long createdAt, bool neverExpires, long lastUsedAt, long stamp, long expiresAt)
    {
        private long lastUsedAt = lastUsedAt;

        public Caller Caller { get; } = caller;

        public long CreatedAt { get; } = createdAt;

        public bool NeverExpires { get; } = neverExpires;

        public long Stamp { get; } = stamp;

        public long ExpiresAt { get; } = expiresAt;

        /// <summary>When the session's use was last written (or read), Unix milliseconds.</summary>
        public long LastUsedAt => Volatile.Read(ref lastUsedAt);

        /// <summary>Whether this call is the one to write the use at <paramref name="now"/>: one of many concurrent calls wins.</summary>
        public bool TryClaimUse(long seen, long now) => Interlocked.CompareExchange(ref lastUsedAt, now, seen) == seen;
    }
}
