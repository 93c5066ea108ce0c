namespace Rpc.Contracts.Protocol;

/// <summary>The <c>data</c> strings of the <c>admin.*</c> methods and of invite registration.</summary>
public static partial class ErrorData
{
    /// <summary>admin.users.*: no user has this id.</summary>
    public static string UserNotFound(long userId) => $"user {userId} does not exist";

    /// <summary>admin.users.delete and admin.users.update: the user was already soft-deleted.</summary>
    public static string UserDeleted(long userId) => $"user {userId} is deleted";

    /// <summary>admin.users.delete: staff may not delete their own account through the admin API.</summary>
    public const string CannotDeleteSelf = "you cannot delete your own account through the admin API";

    /// <summary>admin.users.delete: staff accounts are not deleted through the admin API.</summary>
    public const string CannotDeleteStaff = "staff accounts cannot be deleted through the admin API; remove the Staff flag first (./run.sh manage remove-staff <username>)";

    /// <summary>admin.users.update: a flag value that <see cref="Users.UserFlag"/> does not define.</summary>
    public static string UnknownUserFlag(int value) => $"unknown user flag {value}; known flags: 0 (Staff), 1 (Developer), 10 (Bot), 11 (System)";

    /// <summary>admin.users.update: the flags sent would add or remove Staff.</summary>
    public const string StaffFlagUnchangeable = "the Staff flag (0) cannot be added or removed through the admin API; send it as the user has it, and use ./run.sh manage make-staff or remove-staff <username>";

    /// <summary>admin.users.create: the email is not plausible.</summary>
    public const string EmailInvalid = "email must look like name@domain and be at most 254 characters";

    /// <summary>admin.users.search: neither filter given.</summary>
    public const string SearchNeedsFilter = "give at least one filter: username or discriminator";

    /// <summary>admin.users.search: <c>per_page</c> out of range.</summary>
    public const string PerPageRange = "per_page must be between 1 and 50";

    /// <summary>admin.users.search: negative <c>page</c>.</summary>
    public const string PageNegative = "page must not be negative";

    /// <summary>admin.users.search: <c>page</c> × <c>per_page</c> passes 10,000; deeper pages are read with <c>after</c>.</summary>
    public const string SearchPageTooDeep = "page too deep: page x per_page may be at most 10000; go on with after, the last id of a page";

    /// <summary>admin.users.search: negative <c>after</c>.</summary>
    public const string SearchAfterNegative = "after must not be negative";

    /// <summary>admin.users.search: the discriminator filter is not four digits.</summary>
    public const string DiscriminatorFormat = "discriminator must be 4 digits, 0001 to 9999";

    /// <summary>admin.users.search: the username filter is empty or longer than a username.</summary>
    public const string UsernameFilterLength = "username filter must be between 1 and 32 characters";

    /// <summary>admin.invites.create: <c>max_uses</c> below -1.</summary>
    public const string MaxUsesRange = "max_uses must be -1 (unlimited), 0 (disabled) or a positive number";

    /// <summary>admin.invites.delete, admin.invites.list (<c>after</c>), registration: no invite has this code.</summary>
    public static string InviteNotFound(string code) => $"invite {code} does not exist";

    /// <summary>Registration: the invite is disabled or has no uses left.</summary>
    public static string InviteUsedUp(string code) => $"invite {code} has no uses left";

    /// <summary>users.create on an invite-only instance without an invite.</summary>
    public const string InviteRequired = "registration on this instance needs an invite: pass the invite param or call users.createWithInvite";

    /// <summary>admin.voice.regions.create: a region with this id exists.</summary>
    public static string VoiceRegionExists(string id) => $"voice region {id} already exists";

    /// <summary>admin.voice.servers.create, admin.voice.regions.deprecate: no region with this id.</summary>
    public static string VoiceRegionNotFound(string id) => $"voice region {id} does not exist";

    /// <summary>admin.voice.regions.create: the id breaks its rule.</summary>
    public const string VoiceRegionIdFormat = "voice region id must be 1 to 32 lower-case letters, digits or '-'";

    /// <summary>admin.voice.regions.create: the name breaks its rule.</summary>
    public const string VoiceRegionNameLength = "voice region name must be between 1 and 100 characters and not only white space";

    /// <summary>admin.voice.servers.create: a server with this hostname exists (in any region).</summary>
    public static string VoiceServerExists(string hostname) => $"voice server {hostname} already exists";

    /// <summary>admin.voice.servers.create: not a valid DNS hostname.</summary>
    public const string HostnameInvalid = "hostname must be a DNS name: labels of letters, digits and '-', separated by '.', at most 253 characters";
}
