using System.ComponentModel.DataAnnotations;

namespace Rpc.Server.Services;

/// <summary>Account naming settings (configuration section <c>Accounts</c>).</summary>
public sealed class AccountOptions
{
    public const string Section = "Accounts";

    /// <summary>
    /// True (default): a username belongs to one account, case-insensitively, and a taken name is
    /// refused with seed 001's error. False: Discord-style tags, where many accounts share a username
    /// with different discriminators and a name is refused only when all 9999 are taken; log in with
    /// <c>name#1234</c> when several accounts share the name.
    /// </summary>
    public bool UniqueUsernames { get; set; } = true;

    /// <summary>
    /// Seconds a <c>users.check</c> answer is reused (default 5; 0 turns the cache off). Changes made through
    /// this server take effect at once; with several servers on one database, another server's change shows
    /// after at most this long. <c>users.create</c> never relies on it.
    /// </summary>
    [Range(0, 3600)]
    public double CheckCacheSeconds { get; set; } = 5;

    /// <summary>Most <c>users.check</c> answers kept at once (default 100,000, some 10 MiB); past it the cache starts over.</summary>
    [Range(0, 10_000_000)]
    public int CheckCacheEntries { get; set; } = 100_000;
}
