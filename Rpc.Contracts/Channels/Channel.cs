using Rpc.Contracts.Users;

namespace Rpc.Contracts.Channels;

/// <summary>Channel types, numbered as seed 004 numbers them.</summary>
public enum ChannelType
{
    /// <summary>A direct message between two users.</summary>
    Dm = 2,

    /// <summary>A group direct message with an owner and a name.</summary>
    GroupDm = 3,
}

/// <summary>A DM or group DM channel.</summary>
public sealed record Channel
{
    /// <summary>The channel's snowflake id.</summary>
    public required long Id { get; init; }

    /// <summary>2 for a DM, 3 for a group DM.</summary>
    public required ChannelType Type { get; init; }

    /// <summary>Every user in the channel, the caller included, in id order.</summary>
    public required IReadOnlyList<User> Recipients { get; init; }

    /// <summary>Group DMs: its owner, the creator until it leaves (then its longest-standing recipient); null for DMs.</summary>
    public long? OwnerId { get; init; }

    /// <summary>Group DMs: the group's name, or null when it has none; null for DMs.</summary>
    public string? Name { get; init; }
}

/// <summary>
/// The payload of CHANNEL_RECIPIENT_ADD (a user was added to a group DM) and CHANNEL_RECIPIENT_REMOVE
/// (a user left, was removed, or its account was deleted).
/// </summary>
public sealed record ChannelRecipientEvent
{
    /// <summary>The group DM.</summary>
    public required long ChannelId { get; init; }

    /// <summary>The user who joined or left (presence null).</summary>
    public required User User { get; init; }

    /// <summary>The group DM's owner afterwards: changed when the user who left owned it.</summary>
    public long? OwnerId { get; init; }
}

/// <summary>The payload of CHANNEL_DELETE: the channel left the receiver's list (it left or was removed, closed a DM, or the group was deleted).</summary>
public sealed record ChannelDeleted
{
    /// <summary>The channel.</summary>
    public required long Id { get; init; }

    /// <summary>2 for a DM, 3 for a group DM.</summary>
    public required ChannelType Type { get; init; }
}
