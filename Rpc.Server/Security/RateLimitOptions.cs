using System.ComponentModel.DataAnnotations;

namespace Rpc.Server.Security;

/// <summary>A token bucket: <see cref="Burst"/> attempts at once, then one more every <see cref="RefillSeconds"/>.</summary>
public sealed class BucketOptions
{
    /// <summary>Attempts allowed at once, with a full bucket.</summary>
    [Range(1, 100_000_000)]
    public int Burst { get; set; }

    /// <summary>Seconds for one attempt to come back.</summary>
    [Range(0.001, 86_400)]
    public double RefillSeconds { get; set; }
}

/// <summary>
/// Brute-force and registration limits (configuration section <c>RateLimits</c>). Only failed logins
/// count: a login reserves one attempt in each of its buckets before the password is checked and
/// gets it back when the password is right. See README's limits table for why these three keys.
/// </summary>
public sealed class RateLimitOptions
{
    public const string Section = "RateLimits";

    /// <summary>Failed logins per (username, client address). Default 5 at once, then one a minute.</summary>
    [Required]
    public BucketOptions LoginPerAccountAndAddress { get; set; } = new() { Burst = 5, RefillSeconds = 60 };

    /// <summary>Failed logins per username from all addresses together. Default 100 at once, then one every 30 s.</summary>
    [Required]
    public BucketOptions LoginPerAccount { get; set; } = new() { Burst = 100, RefillSeconds = 30 };

    /// <summary>Failed logins per client address, whatever the username. Default 30 at once, then one every 10 s.</summary>
    [Required]
    public BucketOptions LoginPerAddress { get; set; } = new() { Burst = 30, RefillSeconds = 10 };

    /// <summary>Accounts created per client address. Default 10 at once, then one every 60 s.</summary>
    [Required]
    public BucketOptions CreatePerAddress { get; set; } = new() { Burst = 10, RefillSeconds = 60 };

    /// <summary>
    /// <c>users.presence</c> calls per user, so one client cannot make every observer's connection carry a
    /// stream of presence updates. Default 5 at once, then one every 4 s (5 per 20 s).
    /// </summary>
    [Required]
    public BucketOptions PresencePerUser { get; set; } = new() { Burst = 5, RefillSeconds = 4 };

    /// <summary>Most keys each limiter tracks; past it, full buckets and then the least recently used are dropped. Default 100,000.</summary>
    [Range(100, 10_000_000)]
    public int MaxTrackedKeys { get; set; } = 100_000;
}
