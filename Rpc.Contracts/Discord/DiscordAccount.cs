using System.Text.Json.Serialization;

namespace Rpc.Contracts.Discord;

/// <summary>
/// A linked Discord account as <c>discord.infos</c> returns it, with seed 000's field names. The
/// seed's PHP output shows every value as a string; here the id and flags are strings (64-bit
/// integers always are) and <c>discord_mfa_enabled</c> is a JSON boolean.
/// </summary>
public sealed record DiscordAccount
{
    /// <summary>The Discord user id (a snowflake), a string on the wire.</summary>
    [JsonPropertyName("discord_id")]
    public required long DiscordId { get; init; }

    /// <summary>The Discord avatar hash, or null.</summary>
    [JsonPropertyName("discord_avatar")]
    public string? DiscordAvatar { get; init; }

    /// <summary>The Discord discriminator (<c>"0001"</c>; <c>"0"</c> for accounts on unique usernames), or null.</summary>
    [JsonPropertyName("discord_discriminator")]
    public string? DiscordDiscriminator { get; init; }

    /// <summary>The Discord locale (<c>"fr"</c>, <c>"en-US"</c>), or null.</summary>
    [JsonPropertyName("discord_locale")]
    public string? DiscordLocale { get; init; }

    /// <summary>Whether the Discord account has two-factor authentication on.</summary>
    [JsonPropertyName("discord_mfa_enabled")]
    public required bool DiscordMfaEnabled { get; init; }

    /// <summary>The Discord user flags bit set, a string on the wire (as the seed's <c>"0"</c>).</summary>
    [JsonPropertyName("discord_flags")]
    public required long DiscordFlags { get; init; }
}

/// <summary>An entry of <c>discord.users</c>: a linked Discord account's id.</summary>
public sealed record DiscordUserEntry
{
    /// <summary>The Discord user id (a snowflake), a string on the wire.</summary>
    [JsonPropertyName("discord_id")]
    public required long DiscordId { get; init; }
}
