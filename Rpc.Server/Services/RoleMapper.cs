using Rpc.Contracts.Discord;
using Rpc.Contracts.Roles;
using Rpc.Server.Data;

namespace Rpc.Server.Services;

/// <summary>Turns role and Discord rows into their wire objects.</summary>
public static class RoleMapper
{
    public static Role ToRole(RoleRow row) => new()
    {
        Id = row.Id,
        Name = row.Name,
        Slug = row.Slug,
        Priority = row.Priority,
        DiscordRoleId = row.DiscordRoleId,
    };

    public static UserRole ToUserRole(UserRoleRow row) => new()
    {
        Id = row.RoleId,
        DiscordRoleId = row.DiscordRoleId,
        Name = row.Name,
        Slug = row.Slug,
        Priority = row.Priority,
        ExpiryDate = ExpiryDates.Format(row.ExpiresAt),
    };

    public static IReadOnlyList<UserRole> ToUserRoles(IEnumerable<UserRoleRow> rows) => rows.Select(ToUserRole).ToArray();

    public static DiscordAccount ToDiscordAccount(DiscordAccountRow row) => new()
    {
        DiscordId = row.DiscordId,
        DiscordAvatar = row.Avatar,
        DiscordDiscriminator = row.Discriminator,
        DiscordLocale = row.Locale,
        DiscordMfaEnabled = row.MfaEnabled != 0,
        DiscordFlags = row.Flags,
    };
}
