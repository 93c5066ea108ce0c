using System.Text.Json.Serialization;

namespace Rpc.Contracts.Users;

/// <summary>A user as every method returns it (seed 004's user object plus seed 001's display name and presence).</summary>
public sealed record User
{
    /// <summary>The user's snowflake id, a string on the wire.</summary>
    public required long Id { get; init; }

    /// <summary>The user's name, unique case-insensitively within the instance.</summary>
    public required string Username { get; init; }

    /// <summary>The user's 4-digit tag, <c>"0001"</c> to <c>"9999"</c>.</summary>
    public required string Discriminator { get; init; }

    /// <summary>The name shown to others; the username until the user changes it.</summary>
    public required string DisplayName { get; init; }

    /// <summary>The user's avatar hash, or null.</summary>
    public string? Avatar { get; init; }

    /// <summary>The user's flags as their numeric values (see <see cref="UserFlag"/>).</summary>
    public required IReadOnlyList<UserFlag> Flags { get; init; }

    /// <summary>The user's presence as the caller may see it, or null when unknown or not visible.</summary>
    public PresenceStatus? Presence { get; init; }

    /// <summary>
    /// <c>users.self</c> only: the caller's linked Discord account. Absent from every other user
    /// object, and from the caller's own when it has no link.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Discord.DiscordAccount? Discord { get; init; }

    /// <summary><c>users.self</c> only: whether the caller has two-factor login on. Absent from every other user object.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? MfaEnabled { get; init; }
}

/// <summary>
/// User flags, served as an array of these values (seed 004). Stored as a bit set where the bit
/// number is the value.
/// </summary>
public enum UserFlag
{
    /// <summary>Instance staff: may call the <c>admin.*</c> methods (bit 0, as Discord's staff bit).</summary>
    Staff = 0,

    /// <summary>Developer account.</summary>
    Developer = 1,

    /// <summary>Bot account.</summary>
    Bot = 10,

    /// <summary>System account, managed by the instance itself.</summary>
    System = 11,
}

/// <summary>A user's presence status (seed 001).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PresenceStatus>))]
public enum PresenceStatus
{
    /// <summary>Online.</summary>
    [JsonStringEnumMemberName("ONLINE")] Online,

    /// <summary>Idle.</summary>
    [JsonStringEnumMemberName("IDLE")] Idle,

    /// <summary>Do not disturb.</summary>
    [JsonStringEnumMemberName("DND")] Dnd,

    /// <summary>Online but shown to others as offline.</summary>
    [JsonStringEnumMemberName("INVISIBLE")] Invisible,

    /// <summary>Offline.</summary>
    [JsonStringEnumMemberName("OFFLINE")] Offline,
}

/// <summary>The result of <c>users.auth</c>.</summary>
public sealed record AuthResult
{
    /// <summary>The authenticated user's id.</summary>
    public required long UserId { get; init; }

    /// <summary>
    /// The session token: send it as the request's <c>auth</c> member or as <c>Authorization: Bearer</c>.
    /// Absent when <see cref="MfaRequired"/> is true.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Token { get; init; }

    /// <summary>True when the account has two-factor login on: no token yet; send <see cref="Ticket"/> and a code to <c>users.auth.mfa</c>. Absent otherwise.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? MfaRequired { get; init; }

    /// <summary>With <see cref="MfaRequired"/>: the single-use ticket for <c>users.auth.mfa</c>, valid 5 minutes.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Ticket { get; init; }
}
