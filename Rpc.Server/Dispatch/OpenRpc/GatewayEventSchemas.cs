using Rpc.Contracts.Channels;
using Rpc.Contracts.Gateway;
using Rpc.Contracts.Guilds;
using Rpc.Contracts.Roles;
using Rpc.Contracts.Users;
using Rpc.Server.Gateway;

namespace Rpc.Server.Dispatch.OpenRpc;

/// <summary>
/// The payload (<c>d</c>) of every event the gateway pushes as a <c>gateway.event</c> notification, by its
/// name (<c>t</c>); methods.md's "Events" table says who gets each and which methods publish it.
/// </summary>
internal static class GatewayEventSchemas
{
    public static IReadOnlyList<(string Name, Type Payload)> Events { get; } =
    [
        (GatewayEvents.Ready, typeof(ReadyPayload)),
        (GatewayEvents.Resumed, typeof(ResumeResult)),
        ("PRESENCE_UPDATE", typeof(PresenceUpdate)),
        ("USER_UPDATE", typeof(User)),
        ("GUILD_CREATE", typeof(Guild)),
        ("GUILD_UPDATE", typeof(Guild)),
        ("GUILD_DELETE", typeof(GuildDeleted)),
        ("GUILD_MEMBER_ADD", typeof(GuildMemberEvent)),
        ("GUILD_MEMBER_REMOVE", typeof(GuildMemberEvent)),
        ("CHANNEL_CREATE", typeof(Channel)),
        ("CHANNEL_UPDATE", typeof(Channel)),
        ("CHANNEL_DELETE", typeof(ChannelDeleted)),
        ("CHANNEL_RECIPIENT_ADD", typeof(ChannelRecipientEvent)),
        ("CHANNEL_RECIPIENT_REMOVE", typeof(ChannelRecipientEvent)),
        ("RELATIONSHIP_ADD", typeof(Relationship)),
        ("RELATIONSHIP_REMOVE", typeof(RelationshipRemoved)),
        ("USER_SETTINGS_UPDATE", typeof(UserSettings)),
        ("USER_ROLE_ADD", typeof(UserRoleEvent)),
        ("USER_ROLE_UPDATE", typeof(UserRoleEvent)),
        ("USER_ROLE_REMOVE", typeof(UserRoleEvent)),
        ("ROLE_CREATE", typeof(RoleEvent)),
        ("ROLE_UPDATE", typeof(RoleEvent)),
        ("ROLE_DELETE", typeof(RoleEvent)),
    ];
}
