using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Rpc.Server.Security;

/// <summary>Session tokens: 256 random bits, URL-safe; only their SHA-256 is ever stored.</summary>
public static class TokenService
{
    private const int TokenBytes = 32;

    /// <summary>Length of a token in characters (unpadded base64url of 32 bytes).</summary>
    public const int TokenLength = 43;

    public static string NewToken() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(TokenBytes));

    /// <summary>The stored form of a token: lowercase hex SHA-256.</summary>
    public static string Hash(string token)
    {
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(token), digest);
        return Convert.ToHexStringLower(digest);
    }

    /// <summary>Whether <paramref name="token"/> has the shape of a token, checked before any database look-up.</summary>
    public static bool IsWellFormed(string token)
    {
        if (token.Length != TokenLength)
        {
            return false;
        }

        foreach (var c in token)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                return false;
            }
        }

        return true;
    }
}
