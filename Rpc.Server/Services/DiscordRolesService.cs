using System.Data.Common;
using System.Globalization;
using Rpc.Contracts.Protocol;
using Rpc.Contracts.Roles;
using Rpc.Server.Audit;
using Rpc.Server.Data;
using Rpc.Server.Errors;

namespace Rpc.Server.Services;

/// <summary>
/// The staff-only <c>discord.roles.*</c> methods of seed 002: the roles users hold. Each change runs
/// in one transaction with its audit record; its event is published after the commit.
/// </summary>
public sealed class DiscordRolesService(
    DbConnectionFactory connections,
    AuditLog audit,
    UserRoleEvents events,
    ServiceCallAccessor call,
    TimeProvider clock) : IDiscordRolesApi
{
    public const string AddAction = "user_role.add";
    public const string UpdateAction = "user_role.update";
    public const string RemoveAction = "user_role.remove";
    public const string ExpireAction = "user_role.expire";

    public async Task<IReadOnlyList<UserRole>> ListAsync(long userId, CancellationToken cancellationToken = default)
    {
        var now = clock.NowMilliseconds();
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        if (!await RoleRepository.UserExistsAsync(connection, null, userId, cancellationToken).ConfigureAwait(false))
        {
            throw ServiceException.Refused(ErrorData.SeedUserNotFound);
        }

        return RoleMapper.ToUserRoles(await RoleRepository.ListHeldAsync(connection, null, userId, now, cancellationToken).ConfigureAwait(false));
    }

    public async Task<IReadOnlyList<UserRole>> AddAsync(long userId, long roleId, string? expiryDate = null, CancellationToken cancellationToken = default)
    {
        var nowAt = clock.GetUtcNow();
        var now = nowAt.ToUnixTimeMilliseconds();
        var expiresAt = ExpiryDates.Parse(expiryDate, nowAt);
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        await RequireUserAsync(connection, transaction, userId, cancellationToken).ConfigureAwait(false);
        _ = await RoleRepository.FindRoleAsync(connection, transaction, roleId, cancellationToken).ConfigureAwait(false)
            ?? throw ServiceException.Refused(ErrorData.RoleNotFound);
        if (!await RoleRepository.TryGrantAsync(connection, transaction, userId, roleId, expiresAt, now, cancellationToken).ConfigureAwait(false))
        {
            throw ServiceException.Refused(ErrorData.RoleAlreadyHeld);
        }

        var added = await HeldAsync(connection, transaction, userId, roleId, now, cancellationToken).ConfigureAwait(false);
        await audit.RecordAsync(connection, transaction, ActorId, AddAction, "user", Key(userId), null, added, cancellationToken).ConfigureAwait(false);
        var result = await RoleRepository.ListHeldAsync(connection, transaction, userId, now, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        events.Publish(UserRoleEvents.Add, new UserRoleEvent { UserId = userId, Role = added });
        return RoleMapper.ToUserRoles(result);
    }

    public async Task<IReadOnlyList<UserRole>> UpdateAsync(long userId, long role, long? roleId = null, string? expiryDate = null, CancellationToken cancellationToken = default)
    {
        if (roleId is null && expiryDate is null)
        {
            throw ServiceException.Refused(ErrorData.UserRoleUpdateEmpty);
        }

        var nowAt = clock.GetUtcNow();
        var now = nowAt.ToUnixTimeMilliseconds();
        var newExpiry = expiryDate is null ? (long?)null : ExpiryDates.Parse(expiryDate, nowAt);
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        await RequireUserAsync(connection, transaction, userId, cancellationToken).ConfigureAwait(false);
        var before = await RequireHeldAsync(connection, transaction, userId, role, now, cancellationToken).ConfigureAwait(false);
        var target = roleId ?? role;
        if (target != role && await RoleRepository.FindRoleAsync(connection, transaction, target, cancellationToken).ConfigureAwait(false) is null)
        {
            throw ServiceException.Refused(ErrorData.RoleNotFound);
        }

        var expiresAt = expiryDate is null ? before.ExpiresAt : newExpiry;
        if (!await RoleRepository.TryChangeHeldAsync(connection, transaction, userId, role, target, expiresAt, now, cancellationToken).ConfigureAwait(false))
        {
            throw ServiceException.Refused(ErrorData.RoleAlreadyHeld);
        }

        var previous = RoleMapper.ToUserRole(before);
        var updated = await HeldAsync(connection, transaction, userId, target, now, cancellationToken).ConfigureAwait(false);
        await audit.RecordAsync(connection, transaction, ActorId, UpdateAction, "user", Key(userId), previous, updated, cancellationToken).ConfigureAwait(false);
        var result = await RoleRepository.ListHeldAsync(connection, transaction, userId, now, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        events.Publish(UserRoleEvents.Update, new UserRoleEvent { UserId = userId, Role = updated, PreviousRole = previous });
        return RoleMapper.ToUserRoles(result);
    }

    public async Task<IReadOnlyList<UserRole>> RemoveAsync(long userId, long role, CancellationToken cancellationToken = default)
    {
        var now = clock.NowMilliseconds();
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        await RequireUserAsync(connection, transaction, userId, cancellationToken).ConfigureAwait(false);
        var before = await RequireHeldAsync(connection, transaction, userId, role, now, cancellationToken).ConfigureAwait(false);
        if (!await RoleRepository.RevokeAsync(connection, transaction, userId, role, now, cancellationToken).ConfigureAwait(false))
        {
            throw ServiceException.Refused(ErrorData.RoleNotHeld);
        }

        var removed = RoleMapper.ToUserRole(before);
        await audit.RecordAsync(connection, transaction, ActorId, RemoveAction, "user", Key(userId), removed, null, cancellationToken).ConfigureAwait(false);
        var result = await RoleRepository.ListHeldAsync(connection, transaction, userId, now, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        events.Publish(UserRoleEvents.Remove, new UserRoleEvent { UserId = userId, Role = removed, Reason = UserRoleEvents.ReasonRemoved });
        return RoleMapper.ToUserRoles(result);
    }

    private long ActorId => call.Current.RequireCaller().UserId;

    private static string Key(long id) => id.ToString(CultureInfo.InvariantCulture);

    private static async Task RequireUserAsync(DbConnection connection, DbTransaction transaction, long userId, CancellationToken cancellationToken)
    {
        if (!await RoleRepository.UserExistsAsync(connection, transaction, userId, cancellationToken).ConfigureAwait(false))
        {
            throw ServiceException.Refused(ErrorData.SeedUserNotFound);
        }
    }

    /// <summary>The user's live hold on <paramref name="roleId"/>; an unknown role or one not held is an error.</summary>
    private static async Task<UserRoleRow> RequireHeldAsync(DbConnection connection, DbTransaction transaction, long userId, long roleId, long now, CancellationToken cancellationToken)
    {
        if (await RoleRepository.FindHeldAsync(connection, transaction, userId, roleId, now, cancellationToken).ConfigureAwait(false) is { } held)
        {
            return held;
        }

        throw await RoleRepository.FindRoleAsync(connection, transaction, roleId, cancellationToken).ConfigureAwait(false) is null
            ? ServiceException.Refused(ErrorData.RoleNotFound)
            : ServiceException.Refused(ErrorData.RoleNotHeld);
    }

    private static async Task<UserRole> HeldAsync(DbConnection connection, DbTransaction transaction, long userId, long roleId, long now, CancellationToken cancellationToken) =>
        RoleMapper.ToUserRole(await RoleRepository.FindHeldAsync(connection, transaction, userId, roleId, now, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException("the hold just written is not readable in its own transaction"));
}
