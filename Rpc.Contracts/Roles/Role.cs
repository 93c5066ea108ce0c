using System.Text.Json.Serialization;

namespace Rpc.Contracts.Roles;

/// <summary>A role of the catalogue, as the <c>admin.roles.*</c> methods return it.</summary>
public sealed record Role
{
    /// <summary>The role's snowflake id, a string on the wire.</summary>
    public required long Id { get; init; }

    /// <summary>The role's display name.</summary>
    public required string Name { get; init; }

    /// <summary>The role's unique slug: lowercase letters, digits and '-'.</summary>
    public required string Slug { get; init; }

    /// <summary>The role's rank: higher comes first in a user's roles.</summary>
    public required int Priority { get; init; }

    /// <summary>The Discord role it maps to (a snowflake, a string on the wire), or null.</summary>
    public long? DiscordRoleId { get; init; }
}

/// <summary>
/// A role a user holds, with seed 002's field names. <c>id</c> and <c>discordRoleID</c> are strings
/// (64-bit ids always are, as in the seed); <c>priority</c> is a JSON number (the seed's <c>"99"</c>
/// is PHP's stringification of an integer column).
/// </summary>
public sealed record UserRole
{
    /// <summary>The role's id, a string on the wire.</summary>
    [JsonPropertyName("id")]
    public required long Id { get; init; }

    /// <summary>The Discord role it maps to, or null.</summary>
    [JsonPropertyName("discordRoleID")]
    public long? DiscordRoleId { get; init; }

    /// <summary>The role's display name.</summary>
    [JsonPropertyName("name")]
    public required string Name { get; init; }

    /// <summary>The role's slug.</summary>
    [JsonPropertyName("slug")]
    public required string Slug { get; init; }

    /// <summary>The role's rank: higher comes first.</summary>
    [JsonPropertyName("priority")]
    public required int Priority { get; init; }

    /// <summary>When the role expires, UTC, <c>YYYY-MM-DD HH:MM:SS</c>; <see cref="Permanent"/> for a permanent role.</summary>
    [JsonPropertyName("expiryDate")]
    public required string ExpiryDate { get; init; }

    /// <summary>The expiry date of a permanent role, exactly as seed 002 shows it.</summary>
    public const string Permanent = "1000-01-01 00:00:00";
}
