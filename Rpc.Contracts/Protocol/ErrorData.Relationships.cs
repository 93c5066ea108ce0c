namespace Rpc.Contracts.Protocol;

/// <summary>Error data of relationships, DM consent, group DM management, self deletion and the per-user caps (issue 14, issue 11).</summary>
public static partial class ErrorData
{
    /// <summary>users.relationships.*: the user named is the caller.</summary>
    public const string RelationshipWithSelf = "you cannot have a relationship with yourself";

    /// <summary>users.relationships.add: neither or both of user_id and username were given (-32602).</summary>
    public const string RelationshipTargetParams = "give exactly one of user_id or username";

    /// <summary>users.relationships.add: a plain username that several accounts share.</summary>
    public const string RelationshipUsernameAmbiguous = "several users have this username: give it as name#discriminator";

    /// <summary>
    /// users.relationships.add: the user does not take friend requests from the caller. The same words
    /// whether its settings or a block refused, so a block is never revealed.
    /// </summary>
    public const string FriendRequestRefused = "this user is not accepting friend requests from you";

    /// <summary>users.relationships.add: the caller blocked the user.</summary>
    public const string FriendRequestToBlocked = "you have blocked this user: unblock them before sending a friend request";

    /// <summary>users.relationships.remove: the caller has no relationship with the user.</summary>
    public const string NoRelationship = "you have no relationship with this user";

    /// <summary>
    /// users.createDm: neither friends, nor guild mates whom the recipient allows, or a block either way.
    /// The same words whichever rule refused.
    /// </summary>
    public const string DmNotAllowed = "this user is not accepting direct messages from you";

    /// <summary>users.createDm: a <c>type</c> other than 2 (-32602).</summary>
    public const string DmTypeInvalid = "type must be 2 (a DM) for users.createDm";

    /// <summary>users.createGroupDm: a <c>type</c> other than 3 (-32602).</summary>
    public const string GroupDmTypeInvalid = "type must be 3 (a group DM) for users.createGroupDm";

    /// <summary>users.createGroupDm, users.groupDm.addRecipient: a user who is not the caller's friend.</summary>
    public static string GroupDmNotFriend(long userId) => $"user {userId} is not your friend: only friends can be added to a group DM";

    /// <summary>users.groupDm.*, users.closeDm: no such channel, or the caller is not in it.</summary>
    public const string UnknownChannel = "unknown channel";

    /// <summary>users.groupDm.*: the channel is a one-to-one DM.</summary>
    public const string NotGroupDm = "this channel is not a group DM";

    /// <summary>users.closeDm: the channel is a group DM.</summary>
    public const string CloseGroupDm = "users.closeDm closes a one-to-one DM: leave a group DM with users.groupDm.leave";

    /// <summary>users.groupDm.removeRecipient, users.groupDm.update: the caller does not own the group.</summary>
    public const string NotGroupDmOwner = "only the group DM's owner may do this";

    /// <summary>users.groupDm.addRecipient: the group already holds its owner and 10 recipients.</summary>
    public const string GroupDmFull = "a group DM holds at most 11 users: its owner and 10 recipients";

    /// <summary>users.groupDm.removeRecipient: the user is not in the group.</summary>
    public const string NotGroupDmRecipient = "that user is not in this group DM";

    /// <summary>users.groupDm.removeRecipient: the owner named itself.</summary>
    public const string RemoveSelfFromGroupDm = "you cannot remove yourself: leave with users.groupDm.leave";

    /// <summary>users.delete: a staff account.</summary>
    public const string StaffCannotDeleteSelf = "staff accounts cannot delete themselves; remove the Staff flag first (./run.sh manage remove-staff <username>)";

    /// <summary>guilds.create, guilds.join: the caller is in as many guilds as one user may be.</summary>
    public static string TooManyGuilds(int max) => $"you are in {max} guilds, the most one user may join: leave one first";

    /// <summary>users.createGroupDm: the caller owns as many group DMs as one user may.</summary>
    public static string TooManyGroupDms(int max) => $"you own {max} group DMs, the most one user may own: leave one first";

    /// <summary>users.createDm: the caller opened as many new DMs in the last hour as one user may; says when to retry.</summary>
    /// <param name="seconds">Seconds until the oldest of them leaves the hour.</param>
    /// <param name="max">The cap (<c>UserCaps:DmsOpenedPerHour</c>).</param>
    public static string TooManyDmsOpened(int seconds, int max) => RateLimited(seconds, $"you opened {max} new DMs in the last hour, the most allowed");
}
