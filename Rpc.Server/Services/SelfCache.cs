using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Rpc.Contracts.Users;
using Rpc.Server.Security;

namespace Rpc.Server.Services;

/// <summary>
/// The caller's own user object (<c>users.self</c>, <c>users.identify</c>) without its presence, which is
/// always read live: its row, Discord link and two-factor state cost three queries otherwise. Stamped and
/// invalidated by <see cref="UserChangeStamps"/> as <see cref="SessionCache"/> is (USER_UPDATE, ended
/// sessions, <c>UserChanged</c> for the link and two-factor login), kept at most
/// <see cref="SessionLimitsOptions.CacheSeconds"/> and bounded by <see cref="SessionLimitsOptions.CacheEntries"/>.
/// </summary>
public sealed class SelfCache(UserChangeStamps stamps, TimeProvider time, IOptions<SessionLimitsOptions> options)
{
    private readonly ConcurrentDictionary<long, Entry> entries = new();
    private readonly long lifetimeTicks = (long)(options.Value.CacheSeconds * time.TimestampFrequency);
    private readonly int capacity = options.Value.CacheEntries;
    private int count;

    /// <summary>The cached object of <paramref name="userId"/>, or <paramref name="load"/>'s, kept unless the user changed meanwhile.</summary>
    public async ValueTask<User> GetOrLoadAsync<TState>(long userId, TState state, Func<TState, CancellationToken, Task<User>> load, CancellationToken cancellationToken)
    {
        if (lifetimeTicks <= 0 || capacity <= 0)
        {
            return await load(state, cancellationToken).ConfigureAwait(false);
        }

        var now = time.GetTimestamp();
        if (entries.TryGetValue(userId, out var entry) && now < entry.ExpiresAt && stamps.IsCurrent(userId, entry.Stamp))
        {
            return entry.User;
        }

        var stamp = stamps.Current;
        var user = await load(state, cancellationToken).ConfigureAwait(false);
        if (!stamps.IsCurrent(userId, stamp))
        {
            return user;
        }

        var fresh = new Entry(user, stamp, now + lifetimeTicks);
        if (!entries.TryAdd(userId, fresh))
        {
            entries[userId] = fresh;
        }
        else if (Interlocked.Increment(ref count) > capacity)
        {
            entries.Clear();
            Interlocked.Exchange(ref count, 0);
        }

        return user;
    }

    private sealed record Entry(User User, long Stamp, long ExpiresAt);
}
