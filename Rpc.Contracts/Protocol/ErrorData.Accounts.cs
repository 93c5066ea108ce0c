namespace Rpc.Contracts.Protocol;

/// <summary>The <c>data</c> strings of account moderation, password reset, bots and two-factor login (issue #15).</summary>
public static partial class ErrorData
{
    /// <summary>users.auth and friends: staff disabled the account with no end.</summary>
    public const string AccountDisabled = "account disabled";

    /// <summary>users.auth and friends: staff disabled the account until a date (ISO 8601, UTC).</summary>
    /// <param name="until">When it lifts, ISO 8601 in UTC (<c>2026-12-31T00:00:00Z</c>).</param>
    public static string AccountDisabledUntil(string until) => $"account disabled until {until}";

    /// <summary>admin.users.disable: staff accounts are not disabled.</summary>
    public const string CannotDisableStaff = "staff accounts cannot be disabled; remove the Staff flag first (./run.sh manage remove-staff <username>)";

    /// <summary>admin.users.disable: the reason is empty or too long.</summary>
    public const string DisableReasonLength = "reason must be between 1 and 500 characters";

    /// <summary>admin.users.disable: <c>until</c> is not an ISO 8601 date and time with an offset.</summary>
    public const string DisableUntilFormat = "until must be an ISO 8601 date and time with an offset, such as 2026-12-31T00:00:00Z";

    /// <summary>admin.users.disable: <c>until</c> is not in the future.</summary>
    public const string DisableUntilPast = "until must be in the future";

    /// <summary>admin.users.enable: the user has no disable in force.</summary>
    public static string UserNotDisabled(long userId) => $"user {userId} is not disabled";

    /// <summary>users.resetPassword: no live code matches (wrong, spent, replaced or older than 24 hours).</summary>
    public const string ResetCodeInvalid = "invalid or expired password reset code";

    /// <summary>users.auth: the name is a bot account's.</summary>
    public const string BotPasswordLogin = "bot accounts log in with their token, not a password";

    /// <summary>users.bots.create: the caller owns as many bots as <c>UserCaps:BotsPerOwner</c> allows.</summary>
    public static string TooManyBots(int max) => $"you own {max} bots, the most one user may own: delete one first";

    /// <summary>users.bots.create: a bot cannot own bots.</summary>
    public const string BotsCannotOwnBots = "bot accounts cannot create bots";

    /// <summary>users.bots.resetToken, users.bots.delete: the caller owns no live bot with this id.</summary>
    public static string BotNotFound(long botId) => $"you own no bot {botId}";

    /// <summary>admin.users.resetPassword: bots have tokens, not passwords.</summary>
    public const string BotHasNoPassword = "bot accounts have no password; their owner resets the token with users.bots.resetToken";

    /// <summary>users.mfa.enable: two-factor login is already on.</summary>
    public const string MfaAlreadyOn = "two-factor login is already on; users.mfa.disable turns it off";

    /// <summary>users.mfa.confirm: no enrolment is waiting.</summary>
    public const string MfaNotPending = "no two-factor enrolment to confirm: call users.mfa.enable first";

    /// <summary>admin.users.mfa.disable: a staff user's second factor is turned off only by that user.</summary>
    public const string CannotDisableStaffMfa = "the two-factor login of a staff user is turned off only by that user (users.mfa.disable)";

    /// <summary>users.mfa.disable, admin.users.mfa.disable: two-factor login is off.</summary>
    public const string MfaNotOn = "two-factor login is not on";

    /// <summary>users.mfa.confirm, users.mfa.disable, users.auth.mfa: the code is wrong, expired or was already used.</summary>
    public const string MfaCodeInvalid = "invalid or already used two-factor code";

    /// <summary>users.auth.mfa: no live ticket matches.</summary>
    public const string MfaTicketInvalid = "invalid or expired two-factor ticket; log in again with users.auth";

    /// <summary>admin.* and discord.* with Security:RequireStaffMfa: the staff caller has two-factor login off.</summary>
    public const string StaffMfaRequired = "this instance requires staff to turn on two-factor login (users.mfa.enable, users.mfa.confirm) before calling admin.* and discord.* methods";
}
