namespace Rpc.Contracts.Protocol;

/// <summary>Error data of the profile, DM, presence and session methods of <c>users.*</c> (issue 4).</summary>
public static partial class ErrorData
{
    /// <summary>users.get, users.createDm: no such user (or a deleted one).</summary>
    public const string UnknownUser = "unknown user";

    /// <summary>users.createGroupDm: one of the recipient ids names no user.</summary>
    public static string UnknownRecipient(long userId) => $"unknown user {userId}";

    /// <summary>users.update: the discriminator is not 4 digits from 0001 to 9999.</summary>
    public const string DiscriminatorInvalid = "discriminator must be 4 digits from 0001 to 9999";

    /// <summary>users.update: another account already has this username#discriminator.</summary>
    public static string TagTaken(string username, string discriminator) => $"{username}#{discriminator} is already taken";

    /// <summary>users.create, users.update: every discriminator of this username is in use.</summary>
    public static string DiscriminatorsExhausted(string username) => $"all discriminators of username {username} are taken; choose another username";

    /// <summary>users.auth with tagged usernames: several accounts share the plain name given.</summary>
    public const string UsernameAmbiguous = "several accounts have this username: log in with username#discriminator";

    /// <summary>users.update: display name length.</summary>
    public const string DisplayNameLength = "display_name must be between 1 and 32 characters";

    /// <summary>users.update: display name blank or with control characters.</summary>
    public const string DisplayNameCharacters = "display_name must not be only white space or contain control characters";

    /// <summary>users.update: avatar format.</summary>
    public const string AvatarFormat = "avatar must be 1 to 128 letters, digits, '_' or '-', or an empty string to remove it";

    /// <summary>users.createDm: the recipient is the caller.</summary>
    public const string DmWithSelf = "you cannot open a DM with yourself";

    /// <summary>users.createGroupDm: too few or too many recipients.</summary>
    public const string GroupDmRecipientCount = "recipient_ids must list 1 to 10 users";

    /// <summary>users.createGroupDm: a recipient listed twice.</summary>
    public const string GroupDmDuplicateRecipient = "recipient_ids must not list a user twice";

    /// <summary>users.createGroupDm: the caller listed as a recipient.</summary>
    public const string GroupDmIncludesSelf = "recipient_ids must not include yourself: you are the group's owner";

    /// <summary>users.createGroupDm: name length.</summary>
    public const string GroupDmNameLength = "name must be between 1 and 100 characters";

    /// <summary>users.sessions.revoke: no active session of the caller has this id.</summary>
    public const string UnknownSession = "unknown session";
}
