using System.Text.Json.Serialization;

namespace Rpc.Contracts.Roles;

/// <summary>
/// The payload (<c>d</c>) of the gateway events <c>ROLE_CREATE</c>, <c>ROLE_UPDATE</c> and <c>ROLE_DELETE</c>:
/// a change to the role catalogue, pushed to staff connections that subscribed with <c>gateway.staffEvents</c>
/// (a role-sync bot learns, for example, that a role now maps to another Discord role).
/// </summary>
public sealed record RoleEvent
{
    /// <summary>The role created, the role after the update, or the role deleted.</summary>
    public required Role Role { get; init; }

    /// <summary><c>ROLE_UPDATE</c> only: the role before the update.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Role? PreviousRole { get; init; }
}
