using System.Globalization;
using System.Text;
using Rpc.Contracts.Protocol;
using Rpc.Server.Dispatch;

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

    /// <summary>The normalized username, or an error naming the rule it breaks.</summary>
    public static string NormalizeUsername(string username)
    {
        string normalized;
        try
        {
            normalized = username.Normalize(NormalizationForm.FormKC);
        }
        catch (ArgumentException)
        {
            // Unicode normalization refuses strings with invalid code points (found by the fuzz test).
            throw RpcException.App(ErrorData.UsernameCharacters);
        }

        var length = new StringInfo(normalized).LengthInTextElements;
        if (length is < UsernameMinLength or > UsernameMaxLength)
        {
            throw RpcException.App(ErrorData.UsernameLength);
        }

        foreach (var rune in normalized.EnumerateRunes())
        {
            if (!(Rune.IsLetterOrDigit(rune) || rune.Value is '_' or '.' or '-'))
            {
                throw RpcException.App(ErrorData.UsernameCharacters);
            }
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
        catch (RpcException)
        {
            return null;
        }
    }

    public static void ValidatePassword(string password)
    {
        var length = new StringInfo(password).LengthInTextElements;
        if (length is < PasswordMinLength or > PasswordMaxLength)
        {
            throw RpcException.App(ErrorData.PasswordLength);
        }

        if (string.IsNullOrWhiteSpace(password))
        {
            throw RpcException.App(ErrorData.PasswordBlank);
        }
    }
}
