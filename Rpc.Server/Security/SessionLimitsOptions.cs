using System.ComponentModel.DataAnnotations;
using Rpc.Server.Data;

namespace Rpc.Server.Security;

/// <summary>How long sessions live and how many one user may hold (configuration section <c>Sessions</c>).</summary>
public sealed class SessionLimitsOptions
{
    public const string Section = "Sessions";

    /// <summary>A session unused for this many days expires. Default 30.</summary>
    [Range(1, 3650)]
    public int IdleDays { get; set; } = 30;

    /// <summary>A session expires this many days after its login, however much it is used. Default 365.</summary>
    [Range(1, 36500)]
    public int AbsoluteDays { get; set; } = 365;

    /// <summary>Most live sessions per user; a login beyond it revokes the oldest. Default 100.</summary>
    [Range(1, 100_000)]
    public int MaxPerUser { get; set; } = 100;

    /// <summary>How often expired sessions are purged, in seconds. Default 3600.</summary>
    [Range(1, 86_400)]
    public int SweepIntervalSeconds { get; set; } = 3600;

    /// <summary>
    /// How long a resolved session (token to caller) is kept in memory, in seconds; 0 reads the database on
    /// every call. Every revocation and user change drops it at once on this server and through the bus on
    /// the others; this bounds what a change that reaches no server (a lost bus message, another process
    /// without the bus) leaves cached. Default 60.
    /// </summary>
    [Range(0, 3600)]
    public int CacheSeconds { get; set; } = 60;

    /// <summary>Most resolved sessions kept in memory; beyond it the cache starts over. Default 100,000.</summary>
    [Range(0, 10_000_000)]
    public int CacheEntries { get; set; } = 100_000;

    /// <summary>The cut-offs at <paramref name="now"/>: a live session was used after the first and created after the second.</summary>
    public SessionCutoffs CutoffsAt(long now) => new(now - (long)TimeSpan.FromDays(IdleDays).TotalMilliseconds, now - (long)TimeSpan.FromDays(AbsoluteDays).TotalMilliseconds);

    /// <summary>When a session created at <paramref name="createdAt"/> and last used at <paramref name="lastUsedAt"/> expires.</summary>
    public long ExpiresAt(long createdAt, long lastUsedAt) =>
        Math.Min(lastUsedAt + (long)TimeSpan.FromDays(IdleDays).TotalMilliseconds, createdAt + (long)TimeSpan.FromDays(AbsoluteDays).TotalMilliseconds);
}
