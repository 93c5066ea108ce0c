using System.ComponentModel.DataAnnotations;

namespace Rpc.Server.Services;

/// <summary>
/// Large guilds (configuration section <c>Gateway</c>, beside <c>GatewayOptions</c> and <see cref="PresenceOptions"/>).
/// As Discord's <c>large_threshold</c>: in a guild with more members than <see cref="LargeThreshold"/>, presence
/// changes go only to the gateway sessions that subscribed to it (<c>gateway.guildSubscribe</c>), so members
/// coming online one after another do not send every one of them to every other (about n²/2 frames).
/// </summary>
public sealed class LargeGuildOptions
{
    public const string Section = "Gateway";

    /// <summary>A guild with more members than this is large. Default 250 (Discord's largest <c>large_threshold</c>).</summary>
    [Range(1, 1_000_000)]
    public int LargeThreshold { get; set; } = 250;

    /// <summary>
    /// How many of a large guild's online members READY lists at most (those with the lowest user ids); when it lists
    /// that many, the guild says <c>presences_truncated</c> and <c>guilds.members</c> gives the rest. Default 100, the
    /// largest page of <c>guilds.members</c>: READY then costs the same however many members are online.
    /// </summary>
    [Range(1, 1_000_000)]
    public int ReadyPresencesPerLargeGuild { get; set; } = 100;

    /// <summary>How many guilds one gateway session may subscribe to with <c>gateway.guildSubscribe</c>. Default 100.</summary>
    [Range(1, 10_000)]
    public int MaxGuildSubscriptions { get; set; } = 100;

    /// <summary>Whether a guild of <paramref name="memberCount"/> members is large.</summary>
    public bool IsLarge(int memberCount) => memberCount > LargeThreshold;
}
