using Rpc.Server.Data;
namespace Rpc.Server.Security;

/// <summary>
/// Token buckets by key, on an injected clock. Memory is bounded: past <c>maxKeys</c> the buckets
/// that have refilled (and so say nothing) are dropped, then the least recently touched ones.
/// All operations take one lock; each is a dictionary look-up and some arithmetic.
/// </summary>
public sealed class TokenBucketLimiter(BucketOptions options, int maxKeys, TimeProvider clock)
{
    private readonly Dictionary<string, Bucket> buckets = new(StringComparer.Ordinal);
    private readonly Lock gate = new();

    /// <summary>Keys currently tracked.</summary>
    public int Count
    {
        get
        {
            lock (gate)
            {
                return buckets.Count;
            }
        }
    }

    /// <summary>Time until <paramref name="key"/> has an attempt left; zero when it has one now.</summary>
    public TimeSpan RetryAfter(string key)
    {
        lock (gate)
        {
            return buckets.TryGetValue(key, out var bucket) ? Wait(Refill(bucket)) : TimeSpan.Zero;
        }
    }

    /// <summary>Takes one attempt from <paramref name="key"/>'s bucket.</summary>
    public void Take(string key)
    {
        lock (gate)
        {
            Refill(BucketOf(key)).Tokens -= 1;
        }
    }

    /// <summary>
    /// Takes <paramref name="amount"/> from <paramref name="key"/>'s bucket, which may go into debt, unless paying the
    /// debt back would take longer than <paramref name="maxWait"/>; either way returns how long that takes (zero when
    /// the bucket covers the amount).
    /// </summary>
    public (bool Taken, TimeSpan Wait) Charge(string key, double amount, TimeSpan maxWait)
    {
        lock (gate)
        {
            var bucket = Refill(BucketOf(key));
            var after = bucket.Tokens - amount;
            var wait = after >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-after * options.RefillSeconds);
            if (wait > maxWait)
            {
                return (false, wait);
            }

            bucket.Tokens = after;
            return (true, wait);
        }
    }

    /// <summary>Gives back an attempt taken by <see cref="Take"/> (the login succeeded).</summary>
    public void Return(string key)
    {
        lock (gate)
        {
            if (buckets.TryGetValue(key, out var bucket))
            {
                var refilled = Refill(bucket);
                refilled.Tokens = Math.Min(options.Burst, refilled.Tokens + 1);
            }
        }
    }

    // Under the lock: the key's bucket, a full one for a new key (making room first when the table is full).
    private Bucket BucketOf(string key)
    {
        if (!buckets.TryGetValue(key, out var bucket))
        {
            if (buckets.Count >= maxKeys)
            {
                Evict();
            }

            bucket = new Bucket { Tokens = options.Burst, Updated = clock.NowMilliseconds() };
            buckets[key] = bucket;
        }

        return bucket;
    }

    private Bucket Refill(Bucket bucket)
    {
        var now = clock.NowMilliseconds();
        var elapsed = (now - bucket.Updated) / 1000.0;
        if (elapsed > 0)
        {
            bucket.Tokens = Math.Min(options.Burst, bucket.Tokens + (elapsed / options.RefillSeconds));
            bucket.Updated = now;
        }

        return bucket;
    }

    private TimeSpan Wait(Bucket bucket) =>
        bucket.Tokens >= 1 ? TimeSpan.Zero : TimeSpan.FromSeconds((1 - bucket.Tokens) * options.RefillSeconds);

    private void Evict()
    {
        foreach (var (key, bucket) in buckets)
        {
            if (Refill(bucket).Tokens >= options.Burst)
            {
                buckets.Remove(key);
            }
        }

        if (buckets.Count >= maxKeys)
        {
            // Still full of live buckets: drop the oldest tenth, which frees room for a while.
            foreach (var key in buckets.OrderBy(b => b.Value.Updated).Take(Math.Max(1, maxKeys / 10)).Select(b => b.Key).ToList())
            {
                buckets.Remove(key);
            }
        }
    }

    private sealed class Bucket
    {
        public double Tokens { get; set; }

        public long Updated { get; set; }
    }
}
