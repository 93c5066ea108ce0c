using System.Text.Json.Serialization;

namespace Rpc.Contracts.Users;

/// <summary>What a relationship is, as Discord numbers it. Each side has its own view of a pair.</summary>
public enum RelationshipType
{
    /// <summary>The two users are friends (both sides see 1).</summary>
    Friend = 1,

    /// <summary>The caller blocked the user. Only the blocker sees it; the blocked user never does.</summary>
    Blocked = 2,

    /// <summary>The user sent the caller a friend request.</summary>
    IncomingRequest = 3,

    /// <summary>The caller sent the user a friend request.</summary>
    OutgoingRequest = 4,
}

/// <summary>One of the caller's relationships (<c>users.relationships</c>, RELATIONSHIP_ADD).</summary>
public sealed record Relationship
{
    /// <summary>The other user's id.</summary>
    public required long Id { get; init; }

    /// <summary>1 friend, 2 blocked, 3 incoming request, 4 outgoing request.</summary>
    public required RelationshipType Type { get; init; }

    /// <summary>The other user; its presence only for friends.</summary>
    public required User User { get; init; }

    /// <summary>When the relationship took its current type.</summary>
    public required DateTimeOffset Since { get; init; }
}

/// <summary>The payload of RELATIONSHIP_REMOVE: the receiver's relationship with <see cref="Id"/> ended.</summary>
public sealed record RelationshipRemoved
{
    /// <summary>The other user's id.</summary>
    public required long Id { get; init; }

    /// <summary>The type the receiver's relationship had.</summary>
    public required RelationshipType Type { get; init; }
}

/// <summary>Who may send the caller friend requests.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<FriendRequestsFrom>))]
public enum FriendRequestsFrom
{
    /// <summary>Any user (the default).</summary>
    [JsonStringEnumMemberName("everyone")] Everyone,

    /// <summary>Only users who share a guild with the caller.</summary>
    [JsonStringEnumMemberName("mutual_guilds")] MutualGuilds,

    /// <summary>Nobody.</summary>
    [JsonStringEnumMemberName("nobody")] Nobody,
}

/// <summary>The caller's privacy settings (<c>users.settings.get</c>, USER_SETTINGS_UPDATE).</summary>
public sealed record UserSettings
{
    /// <summary>Whether members of a guild the caller is in may open a DM with it without being friends. Default true.</summary>
    public required bool AllowDmsFromGuildMembers { get; init; }

    /// <summary>Who may send the caller friend requests. Default <c>everyone</c>.</summary>
    public required FriendRequestsFrom FriendRequestsFrom { get; init; }
}
