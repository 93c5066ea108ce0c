using System.Globalization;
using Rpc.Contracts.Protocol;
using Rpc.Contracts.Roles;
using Rpc.Server.Audit;
using Rpc.Server.Data;
using Rpc.Server.Errors;

namespace Rpc.Server.Services;

/// <summary>The staff-only <c>admin.roles.*</c> methods: the role catalogue.</summary>
public sealed class RolesAdminService(
    DbConnectionFactory connections,
    RoleRepository roles,
    SnowflakeGenerator ids,
    AuditLog audit,
    UserRoleEvents events,
    ServiceCallAccessor call,
    TimeProvider clock) : IRolesAdminApi
{
    public async Task<Role> CreateAsync(string name, string slug, int priority, string? discordRoleId = null, CancellationToken cancellationToken = default)
    {
        var row = new RoleRow
        {
            Id = ids.Next(),
            Name = DiscordRules.ValidateRoleName(name),
            Slug = DiscordRules.ValidateSlug(slug),
            Priority = DiscordRules.ValidatePriority(priority),
            DiscordRoleId = discordRoleId is null ? null : DiscordRules.RequireSnowflake(discordRoleId, "discord_role_id"),
            CreatedAt = clock.NowMilliseconds(),
        };
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        if (!await RoleRepository.TryInsertRoleAsync(connection, transaction, row, cancellationToken).ConfigureAwait(false))
        {
            throw ServiceException.Refused(ErrorData.RoleSlugTaken(row.Slug));
        }

        var role = RoleMapper.ToRole(row);
        await audit.RecordAsync(connection, transaction, ActorId, "role.create", "role", Key(row.Id), null, role, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        events.PublishCatalogue(UserRoleEvents.RoleCreate, new RoleEvent { Role = role });
        return role;
    }

    public async Task<IReadOnlyList<Role>> ListAsync(int? limit = null, long? after = null, CancellationToken cancellationToken = default) =>
        (await roles.ListRolesAsync(after, Paging.Limit(limit), cancellationToken).ConfigureAwait(false)).Select(RoleMapper.ToRole).ToArray();

    public async Task<Role> UpdateAsync(long roleId, string? name = null, string? slug = null, int? priority = null, string? discordRoleId = null, CancellationToken cancellationToken = default)
    {
        if (name is null && slug is null && priority is null && discordRoleId is null)
        {
            throw ServiceException.Refused(ErrorData.RoleUpdateEmpty);
        }

        var newName = name is null ? null : DiscordRules.ValidateRoleName(name);
        var newSlug = slug is null ? null : DiscordRules.ValidateSlug(slug);
        var newPriority = priority is null ? (int?)null : DiscordRules.ValidatePriority(priority.Value);
        // An empty string removes the mapping; null (or absent) keeps it.
        var newDiscordRoleId = string.IsNullOrEmpty(discordRoleId) ? null : (long?)DiscordRules.RequireSnowflake(discordRoleId, "discord_role_id");

        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        var before = await RoleRepository.FindRoleAsync(connection, transaction, roleId, cancellationToken).ConfigureAwait(false)
            ?? throw ServiceException.Refused(ErrorData.RoleNotFound);
        var after = before with
        {
            Name = newName ?? before.Name,
            Slug = newSlug ?? before.Slug,
            Priority = newPriority ?? before.Priority,
            DiscordRoleId = discordRoleId is null ? before.DiscordRoleId : newDiscordRoleId,
        };
        if (!await RoleRepository.TryUpdateRoleAsync(connection, transaction, after, cancellationToken).ConfigureAwait(false))
        {
            throw ServiceException.Refused(ErrorData.RoleSlugTaken(after.Slug));
        }

        var role = RoleMapper.ToRole(after);
        var previous = RoleMapper.ToRole(before);
        await audit.RecordAsync(connection, transaction, ActorId, "role.update", "role", Key(roleId), previous, role, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        if (after != before)
        {
            events.PublishCatalogue(UserRoleEvents.RoleUpdate, new RoleEvent { Role = role, PreviousRole = previous });
        }

        return role;
    }

    public async Task<Role> DeleteAsync(long roleId, CancellationToken cancellationToken = default)
    {
        var now = clock.NowMilliseconds();
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        var row = await RoleRepository.FindRoleAsync(connection, transaction, roleId, cancellationToken).ConfigureAwait(false)
            ?? throw ServiceException.Refused(ErrorData.RoleNotFound);
        var holders = await RoleRepository.ListHoldersAsync(connection, transaction, roleId, now, cancellationToken).ConfigureAwait(false);
        var removed = new List<UserRoleEvent>(holders.Count);
        foreach (var holder in holders)
        {
            var held = RoleMapper.ToUserRole(holder);
            await audit.RecordAsync(connection, transaction, ActorId, DiscordRolesService.RemoveAction, "user", Key(holder.UserId),
                held, null, cancellationToken).ConfigureAwait(false);
            removed.Add(new UserRoleEvent { UserId = holder.UserId, Role = held, Reason = UserRoleEvents.ReasonRoleDeleted });
        }

        await RoleRepository.DeleteRoleAsync(connection, transaction, roleId, cancellationToken).ConfigureAwait(false);
        var role = RoleMapper.ToRole(row);
        await audit.RecordAsync(connection, transaction, ActorId, "role.delete", "role", Key(roleId), role, null, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        foreach (var payload in removed)
        {
            events.Publish(UserRoleEvents.Remove, payload);
        }

        events.PublishCatalogue(UserRoleEvents.RoleDelete, new RoleEvent { Role = role });
        return role;
    }

    private long ActorId => call.Current.RequireCaller().UserId;

    private static string Key(long id) => id.ToString(CultureInfo.InvariantCulture);
}
