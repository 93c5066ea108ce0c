using System.Text.Json;
using Rpc.Contracts.Users;

namespace Rpc.Contracts.Admin;

/// <summary>An instance invite (seed 003): lets someone register on an invite-only instance.</summary>
public sealed record InstanceInvite
{
    /// <summary>The invite code, 10 letters and digits (case-sensitive).</summary>
    public required string Code { get; init; }

    /// <summary>When the invite was created, ISO 8601 in UTC (<c>2026-11-23T09:16:47.123Z</c>).</summary>
    public required DateTime CreatedAt { get; init; }

    /// <summary>How many accounts it may create: -1 unlimited, 0 disabled.</summary>
    public required int MaxUses { get; init; }

    /// <summary>How many accounts it has created.</summary>
    public required int Uses { get; init; }
}

/// <summary>The result of <c>admin.users.delete</c>: the user before and after the soft delete.</summary>
public sealed record UserDeleteResult
{
    /// <summary>The user object before the delete.</summary>
    public required User Old { get; init; }

    /// <summary>The user object after the delete (<c>Deleted User &lt;hex&gt;</c>, no avatar, no flags).</summary>
    public required User New { get; init; }
}

/// <summary>A voice region (seed 003).</summary>
public sealed record VoiceRegion
{
    /// <summary>The region's id: <c>brazil</c>, <c>us-east</c>, <c>eu-west</c>…</summary>
    public required string Id { get; init; }

    /// <summary>The region's display name.</summary>
    public required string Name { get; init; }

    /// <summary>Whether only guilds with the VIP_REGIONS feature may use it.</summary>
    public required bool Vip { get; init; }

    /// <summary>Whether the region is deprecated (voice is disabled for guilds using it).</summary>
    public required bool Deprecated { get; init; }

    /// <summary>Whether the region is custom-only.</summary>
    public required bool Custom { get; init; }
}

/// <summary>A voice server of a region (seed 003).</summary>
public sealed record VoiceServer
{
    /// <summary>The server's hostname, lower-case.</summary>
    public required string Hostname { get; init; }

    /// <summary>The server's last measured health, 0 to 1; 0.5 until the first measurement.</summary>
    public required double LastHealth { get; init; }
}

/// <summary>One audit record: who changed what, with the state before and after.</summary>
public sealed record AuditEntry
{
    /// <summary>The record's id; pass the last one of a page as <c>before</c> to get the next (older) page.</summary>
    public required long Id { get; init; }

    /// <summary>The staff user who made the change; null for the system (the <c>manage</c> command line).</summary>
    public required long? ActorId { get; init; }

    /// <summary>What was done, e.g. <c>user.delete</c>, <c>invite.create</c>, <c>user.staff.grant</c>.</summary>
    public required string Action { get; init; }

    /// <summary>The kind of thing changed: <c>user</c>, <c>invite</c>, <c>voice_region</c>, <c>voice_server</c>.</summary>
    public required string TargetType { get; init; }

    /// <summary>The changed thing's id (a user id, an invite code, a region id, a hostname).</summary>
    public required string TargetId { get; init; }

    /// <summary>The object before the change; null when it was created.</summary>
    public required JsonElement? Before { get; init; }

    /// <summary>The object after the change; null when it was deleted.</summary>
    public required JsonElement? After { get; init; }

    /// <summary>When the change was made, ISO 8601 in UTC.</summary>
    public required DateTime CreatedAt { get; init; }
}
