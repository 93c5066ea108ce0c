using Rpc.Contracts.Roles;
using Rpc.Server.Events;
using Rpc.Contracts.Gateway;

namespace Rpc.Server.Services;

/// <summary>
/// Publishes a user's role changes to the user's own connections and to staff connections (the
/// role-sync bot), and changes to the role catalogue to staff connections. Call after the change commits.
/// </summary>
public sealed class UserRoleEvents(IEventBus bus)
{
    public const string Add = GatewayEvents.UserRoleAdd;
    public const string Update = GatewayEvents.UserRoleUpdate;
    public const string Remove = GatewayEvents.UserRoleRemove;

    public const string RoleCreate = GatewayEvents.RoleCreate;
    public const string RoleUpdate = GatewayEvents.RoleUpdate;
    public const string RoleDelete = GatewayEvents.RoleDelete;

    public const string ReasonRemoved = "removed";
    public const string ReasonExpired = "expired";
    public const string ReasonRoleDeleted = "role_deleted";

    public void Publish(string name, UserRoleEvent payload)
    {
        foreach (var message in For(name, payload))
        {
            bus.Publish(message);
        }
    }

    /// <summary>The messages of a user's role change (to the user, to staff), for a caller that publishes them after its commit.</summary>
    public static DispatchEvent[] For(string name, UserRoleEvent payload) =>
    [
        new DispatchEvent(name, payload, new EventAudience.Users([payload.UserId])),
        new DispatchEvent(name, payload, new EventAudience.Staff()),
    ];

    /// <summary>A change to the role catalogue, for staff connections only.</summary>
    public void PublishCatalogue(string name, RoleEvent payload) =>
        bus.Publish(new DispatchEvent(name, payload, new EventAudience.Staff()));
}
