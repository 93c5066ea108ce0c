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
}
