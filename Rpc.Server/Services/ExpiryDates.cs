using System.Globalization;
using System.Text.RegularExpressions;
using Rpc.Contracts.Protocol;
using Rpc.Contracts.Roles;
using Rpc.Server.Errors;

namespace Rpc.Server.Services;

/// <summary>
/// Seed 002's expiry dates: <c>YYYY-MM-DD HH:MM:SS</c> in UTC, with <c>1000-01-01 00:00:00</c>
/// meaning permanent. Stored as Unix milliseconds (whole seconds), null for permanent.
/// </summary>
public static partial class ExpiryDates
{
    private const string Pattern = "yyyy-MM-dd HH:mm:ss";

    /// <summary>The expiry (Unix ms) of <paramref name="text"/>: null for permanent; an application error when malformed or not after <paramref name="now"/>.</summary>
    public static long? Parse(string? text, DateTimeOffset now)
    {
        if (text is null || text == UserRole.Permanent)
        {
            return null;
        }

        if (!Shape().IsMatch(text)
            || !DateTime.TryParseExact(text, Pattern, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            throw ServiceException.Refused(ErrorData.ExpiryDateFormat);
        }

        var at = new DateTimeOffset(parsed, TimeSpan.Zero);
        return at > now ? at.ToUnixTimeMilliseconds() : throw ServiceException.Refused(ErrorData.ExpiryDatePast);
    }

    public static string Format(long? expiresAt) =>
        expiresAt is { } ms
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString(Pattern, CultureInfo.InvariantCulture)
            : UserRole.Permanent;

    /// <summary>The shape of an expiry date, <c>yyyy-MM-dd HH:mm:ss</c> (also the OpenRPC document's pattern).</summary>
    public const string ShapePattern = @"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\z";

    [GeneratedRegex(ShapePattern, RegexOptions.CultureInvariant)]
    private static partial Regex Shape();
}
