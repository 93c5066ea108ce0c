namespace Rpc.Contracts.Protocol;

/// <summary>Error data of the <c>guilds.*</c> methods and of <c>users.leaveGuild</c> (issue 4).</summary>
public static partial class ErrorData
{
    /// <summary>No such guild, or the caller is not a member (the two are not told apart).</summary>
    public const string UnknownGuild = "unknown guild";

    /// <summary>guilds.create: name length.</summary>
    public const string GuildNameLength = "guild name must be between 2 and 100 characters";

    /// <summary>guilds.invites.create: a member that is not the owner.</summary>
    public const string GuildOwnerOnly = "only the guild's owner may do this";

    /// <summary>guilds.invites.create: max_uses out of range.</summary>
    public const string InviteMaxUsesRange = "max_uses must be between 0 (unlimited) and 100";

    /// <summary>guilds.invites.create: max_age out of range.</summary>
    public const string InviteMaxAgeRange = "max_age must be between 0 (never expires) and 604800 seconds";

    /// <summary>guilds.join: no invite has this code.</summary>
    public const string UnknownInvite = "unknown invite";

    /// <summary>guilds.join: the invite's max_age has passed.</summary>
    public const string InviteExpired = "this invite has expired";

    /// <summary>guilds.join: the invite's max_uses are used up.</summary>
    public const string InviteExhausted = "this invite has reached its maximum number of uses";

    /// <summary>users.leaveGuild: the caller owns the guild.</summary>
    public const string OwnerCannotLeave = "the owner cannot leave a guild it owns";
}
