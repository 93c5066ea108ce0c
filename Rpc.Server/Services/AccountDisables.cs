using System.Globalization;
using System.Text.RegularExpressions;
using Rpc.Contracts.Admin;
using Rpc.Contracts.Protocol;
using Rpc.Server.Data;
using Rpc.Server.Errors;
using Rpc.Server.Dispatch;

namespace Rpc.Server.Services;

/// <summary>The rules of a disable: its inputs, how it shows, and the refusal a login gets while it is in force.</summary>
public static partial class AccountDisables
{
    public const int MaxReasonLength = 500;

    /// <summary>The close reason sent with 4005 to a disabled account's connections.</summary>
    public const string CloseReason = "account disabled";

    /// <summary>The login refusal while <paramref name="row"/> is in force.</summary>
    public static string Refusal(SuspensionRow row) =>
        row.EndsAt is { } ends
            ? ErrorData.AccountDisabledUntil(DateTimeOffset.FromUnixTimeMilliseconds(ends).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture))
            : ErrorData.AccountDisabled;

    public static string ValidateReason(string reason)
    {
        var trimmed = reason.Trim();
        return trimmed.Length is < 1 or > MaxReasonLength || trimmed.Any(char.IsControl)
            ? throw ServiceException.Refused(ErrorData.DisableReasonLength)
            : trimmed;
    }

    /// <summary>The end (Unix ms) of <paramref name="until"/>: null when omitted; an error when malformed or not after <paramref name="now"/>.</summary>
    public static long? ParseUntil(string? until, DateTimeOffset now)
    {
        if (until is null)
        {
            return null;
        }

        if (!IsoWithOffset().IsMatch(until) || !DateTimeOffset.TryParse(until, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at))
        {
            throw ServiceException.Refused(ErrorData.DisableUntilFormat);
        }

        return at > now ? at.ToUnixTimeMilliseconds() : throw ServiceException.Refused(ErrorData.DisableUntilPast);
    }

    public static AccountDisable ToDisable(SuspensionRow row) => new()
    {
        Reason = row.Reason,
        Until = row.EndsAt is { } ends ? DateTimeOffset.FromUnixTimeMilliseconds(ends) : null,
        Since = DateTimeOffset.FromUnixTimeMilliseconds(row.CreatedAt),
        ActorId = row.ActorId,
    };

    [GeneratedRegex(@"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,7})?)?(Z|[+-][0-9]{2}:[0-9]{2})\z", RegexOptions.CultureInvariant)]
    private static partial Regex IsoWithOffset();
}
