using System.Text.Json.Serialization;

namespace Rpc.Contracts.Roles;

/// <summary>
/// The payload (<c>d</c>) of the gateway events <c>USER_ROLE_ADD</c>, <c>USER_ROLE_UPDATE</c> and
/// <c>USER_ROLE_REMOVE</c>, pushed to the user's connections and to staff connections.
/// </summary>
public sealed record UserRoleEvent
{
    /// <summary>The user whose roles changed.</summary>
    public required long UserId { get; init; }

    /// <summary>The role added, the role after the update, or the role removed (with the expiry it had).</summary>
    public required UserRole Role { get; init; }

    /// <summary><c>USER_ROLE_UPDATE</c> only: the role before the update.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public UserRole? PreviousRole { get; init; }

    /// <summary><c>USER_ROLE_REMOVE</c> only: <c>removed</c>, <c>expired</c> or <c>role_deleted</c>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Reason { get; init; }
}
