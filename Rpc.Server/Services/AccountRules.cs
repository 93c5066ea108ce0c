using System.Globalization;
using System.Text;
using Rpc.Contracts.Protocol;
using Rpc.Server.Errors;
using Rpc.Server.Text;

namespace Rpc.Server.Services;

/// <summary>
/// Username and password rules. Usernames are NFKC-normalized and compared case-insensitively
/// (their key is the lower-cased normalized form); the case the user chose is kept for display.
/// </summary>
public static class AccountRules
{
    public const int UsernameMinLength = 2;
    public const int UsernameMaxLength = 32;
    public const int PasswordMinLength = 8;
    public const int PasswordMaxLength = 128;

    /// <summary>Most UTF-16 code units of a username, so 32 graphemes cannot carry megabytes.</summary>
    public const int UsernameMaxUnits = 64;

    /// <summary>Most UTF-16 code units of a display name.</summary>
    public const int DisplayNameMaxUnits = 200;

    private static readonly NameLimits UsernameLimits = new("username", UsernameMinLength, UsernameMaxLength, UsernameMaxUnits, ErrorData.UsernameLength);
    private static readonly NameLimits DisplayNameLimits = new("display_name", 1, DisplayNameMaxLength, DisplayNameMaxUnits, ErrorData.DisplayNameLength)
    {
        InvisibleError = ErrorData.DisplayNameCharacters,
        BlankError = ErrorData.DisplayNameCharacters,
    };

    /// <summary>The normalized username, or an error naming the rule it breaks.</summary>
    public static string NormalizeUsername(string username)
    {
        var normalized = NameText.Normalize(username, UsernameLimits, trim: false);
        foreach (var rune in normalized.EnumerateRunes())
        {
            if (!(Rune.IsLetterOrDigit(rune) || rune.Value is '_' or '.' or '-'))
            {
                throw ServiceException.Refused(ErrorData.UsernameCharacters);
            }
        }

        if (!UsernameConfusables.IsSingleScript(normalized))
        {
            throw ServiceException.Refused(ErrorData.UsernameScripts);
        }

        return normalized;
    }

    /// <summary>The case-insensitive key of a normalized username.</summary>
    public static string KeyOf(string normalizedUsername) => normalizedUsername.ToLowerInvariant();

    /// <summary>The key of <paramref name="username"/>, or null when it breaks a rule (so cannot exist).</summary>
    public static string? TryKey(string username)
    {
        try
        {
            return KeyOf(NormalizeUsername(username));
        }
        catch (ServiceException)
        {
            return null;
        }
    }

    public static void ValidatePassword(string password)
    {
        var length = new StringInfo(password).LengthInTextElements;
        if (length is < PasswordMinLength or > PasswordMaxLength)
        {
            throw ServiceException.Refused(ErrorData.PasswordLength);
        }

        if (string.IsNullOrWhiteSpace(password))
        {
            throw ServiceException.Refused(ErrorData.PasswordBlank);
        }
    }

    public const int DiscriminatorCount = 9999;
    public const int DisplayNameMaxLength = 32;

    /// <summary>Splits <c>name#1234</c> into its name and discriminator; false for a plain name.</summary>
    public static bool TrySplitTag(string input, out string username, out string discriminator)
    {
        var hash = input.LastIndexOf('#');
        if (hash > 0 && IsDiscriminator(input[(hash + 1)..]))
        {
            username = input[..hash];
            discriminator = input[(hash + 1)..];
            return true;
        }

        username = input;
        discriminator = "";
        return false;
    }

    /// <summary>Whether <paramref name="value"/> is a discriminator, <c>0001</c> to <c>9999</c>.</summary>
    public static bool IsDiscriminator(string value) =>
        value.Length == 4 && value.All(char.IsAsciiDigit) && value != "0000";

    /// <summary>The discriminator text of a number from 1 to 9999.</summary>
    public static string FormatDiscriminator(int value) => value.ToString("D4", CultureInfo.InvariantCulture);

    /// <summary>A random discriminator not in <paramref name="taken"/>, or null when all are taken.</summary>
    public static string? PickFreeDiscriminator(IReadOnlySet<string> taken)
    {
        if (taken.Count < DiscriminatorCount / 2)
        {
            // Mostly free: a few random draws find one without listing the free values.
            for (var i = 0; i < 32; i++)
            {
                var candidate = FormatDiscriminator(System.Security.Cryptography.RandomNumberGenerator.GetInt32(1, DiscriminatorCount + 1));
                if (!taken.Contains(candidate))
                {
                    return candidate;
                }
            }
        }

        var free = Enumerable.Range(1, DiscriminatorCount).Select(FormatDiscriminator).Where(d => !taken.Contains(d)).ToArray();
        return free.Length == 0 ? null : free[System.Security.Cryptography.RandomNumberGenerator.GetInt32(free.Length)];
    }

    /// <summary>A valid display name (NFKC-normalized, trimmed), or an error naming the rule it breaks.</summary>
    public static string NormalizeDisplayName(string displayName) => NameText.Normalize(displayName, DisplayNameLimits);

    /// <summary>The avatar to store: null for an empty string (removal), else a checked hash.</summary>
    public static string? CheckAvatar(string avatar)
    {
        if (avatar.Length == 0)
        {
            return null;
        }

        if (avatar.Length > 128 || !avatar.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
        {
            throw ServiceException.Refused(ErrorData.AvatarFormat);
        }

        return avatar;
    }
}
