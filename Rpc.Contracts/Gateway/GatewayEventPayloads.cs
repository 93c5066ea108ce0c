using Rpc.Contracts.Channels;
using Rpc.Contracts.Guilds;
using Rpc.Contracts.Roles;
using Rpc.Contracts.Users;

namespace Rpc.Contracts.Gateway;

/// <summary>
/// The payload type (<c>d</c>) of every event the gateway pushes, by event name (<c>t</c>): the server's
/// OpenRPC document describes each from it, and .NET clients read typed events with it.
/// </summary>
public static class GatewayEventPayloads
{
    /// <summary>Every event name with the type of its payload, in the order methods.md's "Events" lists them.</summary>
    public static IReadOnlyList<KeyValuePair<string, Type>> All { get; } =
    [
        new(GatewayEvents.Ready, typeof(ReadyPayload)),
        new(GatewayEvents.Resumed, typeof(ResumeResult)),
        new("PRESENCE_UPDATE", typeof(PresenceUpdate)),
        new("USER_UPDATE", typeof(User)),
        new("GUILD_CREATE", typeof(Guild)),
        new("GUILD_UPDATE", typeof(Guild)),
        new("GUILD_DELETE", typeof(GuildDeleted)),
        new("GUILD_MEMBER_ADD", typeof(GuildMemberEvent)),
        new("GUILD_MEMBER_REMOVE", typeof(GuildMemberEvent)),
        new("CHANNEL_CREATE", typeof(Channel)),
        new("CHANNEL_UPDATE", typeof(Channel)),
        new("CHANNEL_DELETE", typeof(ChannelDeleted)),
        new("CHANNEL_RECIPIENT_ADD", typeof(ChannelRecipientEvent)),
        new("CHANNEL_RECIPIENT_REMOVE", typeof(ChannelRecipientEvent)),
        new("RELATIONSHIP_ADD", typeof(Relationship)),
        new("RELATIONSHIP_REMOVE", typeof(RelationshipRemoved)),
        new("USER_SETTINGS_UPDATE", typeof(UserSettings)),
        new("USER_ROLE_ADD", typeof(UserRoleEvent)),
        new("USER_ROLE_UPDATE", typeof(UserRoleEvent)),
        new("USER_ROLE_REMOVE", typeof(UserRoleEvent)),
        new("ROLE_CREATE", typeof(RoleEvent)),
        new("ROLE_UPDATE", typeof(RoleEvent)),
        new("ROLE_DELETE", typeof(RoleEvent)),
    ];

    /// <summary>The payload type of the event <paramref name="name"/>; null for an event this version does not know.</summary>
    /// <param name="name">The event's <c>t</c>.</param>
    public static Type? TypeOf(string name) => All.FirstOrDefault(e => e.Key == name).Value;
}
