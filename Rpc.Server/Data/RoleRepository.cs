using System.Data.Common;
using Dapper;

namespace Rpc.Server.Data;

/// <summary>A row of <c>roles</c>.</summary>
public sealed record RoleRow
{
    public long Id { get; init; }
    public string Name { get; init; } = "";
    public string Slug { get; init; } = "";
    public int Priority { get; init; }
    public long? DiscordRoleId { get; init; }
    public long CreatedAt { get; init; }
}

/// <summary>A row of <c>user_roles</c> joined with its role.</summary>
public sealed record UserRoleRow
{
    public long UserId { get; init; }
    public long RoleId { get; init; }
    public long? DiscordRoleId { get; init; }
    public string Name { get; init; } = "";
    public string Slug { get; init; } = "";
    public int Priority { get; init; }
    public long? ExpiresAt { get; init; }
}

/// <summary>
/// The role catalogue (<c>roles</c>) and the roles users hold (<c>user_roles</c>). Every read of
/// held roles takes <c>now</c> and leaves out rows whose <c>expires_at</c> is not after it, so an
/// expired role is never seen, whether or not the sweeper has deleted it yet.
/// </summary>
public sealed class RoleRepository(DbConnectionFactory connections)
{
    private const string RoleColumns = "id, name, slug, priority, discord_role_id, created_at";

    private const string HeldColumns = "ur.user_id, ur.role_id, r.discord_role_id, r.name, r.slug, r.priority, ur.expires_at";

    private const string Live = "(ur.expires_at IS NULL OR ur.expires_at > @now)";

    /// <summary>Whether the user exists and is not deleted.</summary>
    public static async Task<bool> UserExistsAsync(DbConnection connection, DbTransaction? transaction, long userId, CancellationToken cancellationToken) =>
        await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT 1 FROM users WHERE id = @userId AND deleted_at IS NULL", new { userId }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false) is not null;

    /// <summary>Inserts a role; false when its slug is taken.</summary>
    public static async Task<bool> TryInsertRoleAsync(DbConnection connection, DbTransaction transaction, RoleRow role, CancellationToken cancellationToken)
    {
        const string sql = """
            INSERT INTO roles (id, name, slug, priority, discord_role_id, created_at)
            VALUES (@Id, @Name, @Slug, @Priority, @DiscordRoleId, @CreatedAt)
            """;
        var (_, refusal) = await SqlDialect.ExecuteUnlessDuplicateAsync(connection, new CommandDefinition(sql, role, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return refusal is null;
    }

    /// <summary>Rewrites a role's fields; false when the new slug is taken.</summary>
    public static async Task<bool> TryUpdateRoleAsync(DbConnection connection, DbTransaction transaction, RoleRow role, CancellationToken cancellationToken)
    {
        const string sql = "UPDATE roles SET name = @Name, slug = @Slug, priority = @Priority, discord_role_id = @DiscordRoleId WHERE id = @Id";
        var (_, refusal) = await SqlDialect.ExecuteUnlessDuplicateAsync(connection, new CommandDefinition(sql, role, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return refusal is null;
    }

    public static Task<RoleRow?> FindRoleAsync(DbConnection connection, DbTransaction? transaction, long id, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<RoleRow>(new CommandDefinition(
            $"SELECT {RoleColumns} FROM roles WHERE id = @id", new { id }, transaction, cancellationToken: cancellationToken));

    public async Task<IReadOnlyList<RoleRow>> ListRolesAsync(long? after, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return (await connection.QueryAsync<RoleRow>(new CommandDefinition(
            $"SELECT {RoleColumns} FROM roles WHERE (@after IS NULL OR id > @after) ORDER BY id LIMIT @limit",
            new { after, limit }, cancellationToken: cancellationToken)).ConfigureAwait(false)).AsList();
    }

    /// <summary>Deletes a role and every user's hold on it, expired or not.</summary>
    public static async Task DeleteRoleAsync(DbConnection connection, DbTransaction transaction, long id, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM user_roles WHERE role_id = @id", new { id }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM roles WHERE id = @id", new { id }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>The user's live roles, highest priority first (then by role id).</summary>
    public async Task<IReadOnlyList<UserRoleRow>> ListHeldAsync(long userId, long now, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await ListHeldAsync(connection, null, userId, now, cancellationToken).ConfigureAwait(false);
    }

    public static async Task<IReadOnlyList<UserRoleRow>> ListHeldAsync(DbConnection connection, DbTransaction? transaction, long userId, long now, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<UserRoleRow>(new CommandDefinition(
            $"SELECT {HeldColumns} FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = @userId AND {Live} ORDER BY r.priority DESC, r.id",
            new { userId, now }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false)).AsList();

    /// <summary>The user's live hold on a role, or null.</summary>
    public static Task<UserRoleRow?> FindHeldAsync(DbConnection connection, DbTransaction transaction, long userId, long roleId, long now, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<UserRoleRow>(new CommandDefinition(
            $"SELECT {HeldColumns} FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = @userId AND ur.role_id = @roleId AND {Live}",
            new { userId, roleId, now }, transaction, cancellationToken: cancellationToken));

    /// <summary>The live holders of a role.</summary>
    public static async Task<IReadOnlyList<UserRoleRow>> ListHoldersAsync(DbConnection connection, DbTransaction transaction, long roleId, long now, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<UserRoleRow>(new CommandDefinition(
            $"SELECT {HeldColumns} FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.role_id = @roleId AND {Live} ORDER BY ur.user_id",
            new { roleId, now }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false)).AsList();

    /// <summary>
    /// Gives the user the role. An expired row not yet swept is replaced; false when the user holds
    /// the role live (the primary key (user_id, role_id) decides, also under races).
    /// </summary>
    public static async Task<bool> TryGrantAsync(DbConnection connection, DbTransaction transaction, long userId, long roleId, long? expiresAt, long now, CancellationToken cancellationToken)
    {
        const string sql = """
            INSERT INTO user_roles (user_id, role_id, expires_at, granted_at) VALUES (@userId, @roleId, @expiresAt, @now)
            ON CONFLICT (user_id, role_id) DO UPDATE SET expires_at = excluded.expires_at, granted_at = excluded.granted_at
            WHERE user_roles.expires_at IS NOT NULL AND user_roles.expires_at <= @now
            """;
        return await connection.ExecuteAsync(new CommandDefinition(
            sql, new { userId, roleId, expiresAt, now }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false) > 0;
    }

    /// <summary>
    /// Moves a live hold from one role to another with a new expiry; false when the user already
    /// holds the target role live. An expired hold of the target is dropped first.
    /// </summary>
    public static async Task<bool> TryChangeHeldAsync(DbConnection connection, DbTransaction transaction, long userId, long fromRoleId, long toRoleId, long? expiresAt, long now, CancellationToken cancellationToken)
    {
        if (fromRoleId != toRoleId)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM user_roles WHERE user_id = @userId AND role_id = @toRoleId AND expires_at IS NOT NULL AND expires_at <= @now",
                new { userId, toRoleId, now }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        var (rows, refusal) = await SqlDialect.ExecuteUnlessDuplicateAsync(connection, new CommandDefinition(
            "UPDATE user_roles SET role_id = @toRoleId, expires_at = @expiresAt WHERE user_id = @userId AND role_id = @fromRoleId",
            new { userId, fromRoleId, toRoleId, expiresAt }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return refusal is null && rows > 0;
    }

    /// <summary>Takes a live hold away; false when the user does not hold the role live.</summary>
    public static async Task<bool> RevokeAsync(DbConnection connection, DbTransaction transaction, long userId, long roleId, long now, CancellationToken cancellationToken) =>
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM user_roles WHERE user_id = @userId AND role_id = @roleId AND (expires_at IS NULL OR expires_at > @now)",
            new { userId, roleId, now }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false) > 0;

    /// <summary>Up to <paramref name="limit"/> holds that expired at or before <paramref name="now"/>, oldest expiry first.</summary>
    public static async Task<IReadOnlyList<UserRoleRow>> ListExpiredAsync(DbConnection connection, DbTransaction transaction, long now, int limit, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<UserRoleRow>(new CommandDefinition(
            $"SELECT {HeldColumns} FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.expires_at IS NOT NULL AND ur.expires_at <= @now ORDER BY ur.expires_at, ur.user_id, ur.role_id LIMIT @limit",
            new { now, limit }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false)).AsList();

    /// <summary>Deletes one expired hold; false when it is gone or no longer expired (re-granted meanwhile).</summary>
    public static async Task<bool> DeleteExpiredAsync(DbConnection connection, DbTransaction transaction, long userId, long roleId, long now, CancellationToken cancellationToken) =>
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM user_roles WHERE user_id = @userId AND role_id = @roleId AND expires_at IS NOT NULL AND expires_at <= @now",
            new { userId, roleId, now }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false) > 0;
}
