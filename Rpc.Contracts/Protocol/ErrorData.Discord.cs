namespace Rpc.Contracts.Protocol;

/// <summary>Error data of the <c>discord.*</c>, <c>users.linkDiscord</c> and <c>admin.roles.*</c> methods.</summary>
public static partial class ErrorData
{
    /// <summary>
    /// The user does not exist (or was deleted): seed 002's message. The seed's error code
    /// <c>USER_NOT_FOUND</c> is documented in methods.md; <c>data</c> carries the message.
    /// </summary>
    public const string SeedUserNotFound = "User not found!";

    /// <summary>discord.users: no Discord account is linked at all (seed 000's exact text).</summary>
    public const string DiscordNoUsers = "Could not find any users";

    /// <summary>discord.infos: no user is linked to this Discord id (seed 000's exact text).</summary>
    public const string DiscordUserNotFound = "Could not find this user";

    /// <summary>A Discord id param is not a snowflake.</summary>
    /// <param name="parameter">The parameter's wire name.</param>
    public static string DiscordIdInvalid(string parameter) => $"{parameter} must be a Discord snowflake: 17 to 19 digits without a leading zero";

    /// <summary>discord.link, users.linkDiscord: the Discord id is linked to another user.</summary>
    public const string DiscordIdTaken = "this Discord account is already linked to another user";

    /// <summary>discord.unlink: the user has no Discord link.</summary>
    public const string DiscordNotLinked = "this user has no linked Discord account";

    /// <summary>Discord avatar hash rule.</summary>
    public const string DiscordAvatarInvalid = "avatar must be a Discord avatar hash: 32 hexadecimal digits, optionally prefixed with a_";

    /// <summary>Discord discriminator rule.</summary>
    public const string DiscordDiscriminatorInvalid = "discriminator must be 4 digits or 0";

    /// <summary>Discord locale rule.</summary>
    public const string DiscordLocaleInvalid = "locale must be a language tag such as fr or en-US";

    /// <summary>Discord flags rule.</summary>
    public const string DiscordFlagsInvalid = "flags must not be negative";

    /// <summary>A role id names no role of the catalogue.</summary>
    public const string RoleNotFound = "Role not found";

    /// <summary>discord.roles.update, discord.roles.remove: the user does not hold the role (or it expired).</summary>
    public const string RoleNotHeld = "User does not have this role";

    /// <summary>discord.roles.add, discord.roles.update: the user already holds the role.</summary>
    public const string RoleAlreadyHeld = "User already has this role";

    /// <summary>admin.roles.create, admin.roles.update: the slug is taken.</summary>
    /// <param name="slug">The slug asked for.</param>
    public static string RoleSlugTaken(string slug) => $"Role with slug {slug} already exists";

    /// <summary>Role slug rule.</summary>
    public const string RoleSlugInvalid = "slug must be 1 to 32 lowercase letters, digits or '-'";

    /// <summary>Role name rule.</summary>
    public const string RoleNameLength = "name must be between 1 and 64 characters";

    /// <summary>Role priority rule.</summary>
    public const string RolePriorityRange = "priority must be between 0 and 1000000";

    /// <summary>admin.roles.update: no change was asked for.</summary>
    public const string RoleUpdateEmpty = "nothing to update: give name, slug, priority or discord_role_id";

    /// <summary>discord.roles.update: no change was asked for.</summary>
    public const string UserRoleUpdateEmpty = "nothing to update: give roleID or expiryDate";

    /// <summary>expiryDate is not a UTC date in the expected format.</summary>
    public const string ExpiryDateFormat = "expiryDate must be a UTC date and time as YYYY-MM-DD HH:MM:SS";

    /// <summary>expiryDate is not in the future.</summary>
    public const string ExpiryDatePast = "expiryDate must be in the future";
}
