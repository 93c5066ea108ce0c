using System.Globalization;
using System.Text.RegularExpressions;
using Rpc.Contracts.Protocol;
using Rpc.Server.Errors;

namespace Rpc.Server.Services;

/// <summary>What a Discord id, avatar hash, discriminator and locale look like, and the role catalogue's rules.</summary>
public static partial class DiscordRules
{
    /// <summary>
    /// A Discord snowflake: 17 to 19 digits without a leading zero that fit a signed 64-bit integer
    /// (every Discord id so far; 17 digits reach back to 2015, Discord's first year).
    /// </summary>
    public static bool TryParseSnowflake(string? text, out long id)
    {
        id = 0;
        return text is not null
            && SnowflakeText().IsMatch(text)
            && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out id);
    }

    /// <summary>The snowflake in <paramref name="text"/>, or an application error naming <paramref name="parameter"/>.</summary>
    public static long RequireSnowflake(string? text, string parameter) =>
        TryParseSnowflake(text, out var id) ? id : throw ServiceException.Refused(ErrorData.DiscordIdInvalid(parameter));

    public static void ValidateProfile(string? avatar, string? discriminator, string? locale, long? flags)
    {
        if (avatar is not null && !AvatarText().IsMatch(avatar))
        {
            throw ServiceException.Refused(ErrorData.DiscordAvatarInvalid);
        }

        if (discriminator is not null && !DiscriminatorText().IsMatch(discriminator))
        {
            throw ServiceException.Refused(ErrorData.DiscordDiscriminatorInvalid);
        }

        if (locale is not null && (locale.Length > 35 || !LocaleText().IsMatch(locale)))
        {
            throw ServiceException.Refused(ErrorData.DiscordLocaleInvalid);
        }

        if (flags < 0)
        {
            throw ServiceException.Refused(ErrorData.DiscordFlagsInvalid);
        }
    }

    /// <summary>Most UTF-16 code units of a role name.</summary>
    public const int RoleNameMaxUnits = 200;

    private static readonly NameLimits RoleNameRules = new("name", 1, RoleNameMaxLength, RoleNameMaxUnits, ErrorData.RoleNameLength);

    public static string ValidateRoleName(string name) => NameText.Normalize(name, RoleNameRules);

    public static string ValidateSlug(string slug) =>
        SlugText().IsMatch(slug) ? slug : throw ServiceException.Refused(ErrorData.RoleSlugInvalid);

    public static int ValidatePriority(int priority) =>
        priority is >= 0 and <= MaxRolePriority ? priority : throw ServiceException.Refused(ErrorData.RolePriorityRange);

    /// <summary>A Discord snowflake: 17 to 19 digits, no leading zero (also the OpenRPC document's pattern).</summary>
    public const string SnowflakePattern = @"^[1-9][0-9]{16,18}\z";

    /// <summary>A Discord avatar hash.</summary>
    public const string AvatarPattern = @"^(a_)?[0-9a-f]{32}\z";

    /// <summary>A Discord discriminator: 4 digits, or 0 for the new usernames.</summary>
    public const string DiscriminatorPattern = @"^([0-9]{4}|0)\z";

    /// <summary>A locale tag such as en-US.</summary>
    public const string LocalePattern = @"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*\z";

    /// <summary>A role slug.</summary>
    public const string SlugPattern = @"^[a-z0-9-]{1,32}\z";

    /// <summary>The range of a role's priority.</summary>
    public const int MaxRolePriority = 1_000_000;

    /// <summary>Most characters (graphemes) of a role name.</summary>
    public const int RoleNameMaxLength = 64;

    [GeneratedRegex(SnowflakePattern, RegexOptions.CultureInvariant)]
    private static partial Regex SnowflakeText();

    [GeneratedRegex(AvatarPattern, RegexOptions.CultureInvariant)]
    private static partial Regex AvatarText();

    [GeneratedRegex(DiscriminatorPattern, RegexOptions.CultureInvariant)]
    private static partial Regex DiscriminatorText();

    [GeneratedRegex(LocalePattern, RegexOptions.CultureInvariant)]
    private static partial Regex LocaleText();

    [GeneratedRegex(SlugPattern, RegexOptions.CultureInvariant)]
    private static partial Regex SlugText();
}
