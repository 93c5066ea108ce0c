using System.Security.Cryptography;
using OtpNet;

namespace Rpc.Server.Security;

/// <summary>
/// TOTP (RFC 6238) as authenticator apps implement it: SHA-1, 30-second steps, 6 digits, 160-bit
/// secrets; a code of the current step or one step either side is accepted. Backup codes are 8
/// characters of an unambiguous alphabet, stored as SHA-256.
/// </summary>
public static class TotpCodes
{
    private const int SecretBytes = 20;
    private const string BackupAlphabet = "abcdefghjkmnpqrstuvwxyz23456789";
    private const int BackupLength = 8;
    private static readonly VerificationWindow OneStepEitherSide = new(previous: 1, future: 1);

    public static string NewSecret() => Base32Encoding.ToString(KeyGeneration.GenerateRandomKey(SecretBytes));

    public static string Uri(string issuer, string account, string secret) => new OtpUri(OtpType.Totp, secret, account, issuer).ToString();

    /// <summary>The time step <paramref name="code"/> matches at <paramref name="now"/>, or null.</summary>
    public static long? MatchingStep(string secret, string code, DateTimeOffset now)
    {
        if (code.Length != 6 || !code.All(char.IsAsciiDigit))
        {
            return null;
        }

        var totp = new Totp(Base32Encoding.ToBytes(secret));
        return totp.VerifyTotp(now.UtcDateTime, code, out var step, OneStepEitherSide) ? step : null;
    }

    public static string NewBackupCode()
    {
        var code = RandomNumberGenerator.GetString(BackupAlphabet, BackupLength);
        return $"{code[..4]}-{code[4..]}";
    }

    /// <summary>The stored form of a backup code as typed (dashes, spaces and case ignored), or null when it cannot be one.</summary>
    public static string? BackupHashOfTyped(string typed)
    {
        if (typed.Length > 32)
        {
            return null;
        }

        var code = new string(typed.Where(c => c is not ('-' or ' ')).Select(char.ToLowerInvariant).ToArray());
        return code.Length == BackupLength && code.All(c => BackupAlphabet.Contains(c, StringComparison.Ordinal))
            ? Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(code)))
            : null;
    }
}
