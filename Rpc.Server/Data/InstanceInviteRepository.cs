using System.Data.Common;
using Dapper;

namespace Rpc.Server.Data;

/// <summary>A row of <c>instance_invites</c>.</summary>
public sealed record InstanceInviteRow
{
    public long Id { get; init; }
    public string Code { get; init; } = "";
    public long CreatedAt { get; init; }
    public long? CreatedBy { get; init; }
    public long MaxUses { get; init; }
    public long Uses { get; init; }
}

/// <summary>The <c>instance_invites</c> aggregate.</summary>
public sealed class InstanceInviteRepository(DbConnectionFactory connections)
{
    private const string Columns = "id, code, created_at, created_by, max_uses, uses";

    public async Task<InstanceInviteRow?> FindAsync(string code, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await FindAsync(connection, null, code, cancellationToken).ConfigureAwait(false);
    }

    public static Task<InstanceInviteRow?> FindAsync(DbConnection connection, DbTransaction? transaction, string code, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<InstanceInviteRow>(new CommandDefinition(
            $"SELECT {Columns} FROM instance_invites WHERE code = @code", new { code }, transaction, cancellationToken: cancellationToken));

    /// <summary>Invites in creation (id) order, after the invite <paramref name="afterId"/> when given.</summary>
    public async Task<IReadOnlyList<InstanceInviteRow>> ListAsync(long? afterId, int limit, CancellationToken cancellationToken)
    {
        var sql = $"SELECT {Columns} FROM instance_invites WHERE (@afterId IS NULL OR id > @afterId) ORDER BY id LIMIT @limit";
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return (await connection.QueryAsync<InstanceInviteRow>(new CommandDefinition(sql, new { afterId, limit }, cancellationToken: cancellationToken)).ConfigureAwait(false)).AsList();
    }

    public static Task InsertAsync(DbConnection connection, DbTransaction transaction, InstanceInviteRow invite, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO instance_invites (id, code, created_at, created_by, max_uses, uses) VALUES (@Id, @Code, @CreatedAt, @CreatedBy, @MaxUses, @Uses)",
            invite, transaction, cancellationToken: cancellationToken));

    /// <summary>Deletes an invite and returns the row it was, or null when no invite has that code.</summary>
    public static Task<InstanceInviteRow?> DeleteAsync(DbConnection connection, DbTransaction transaction, string code, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<InstanceInviteRow>(new CommandDefinition(
            $"DELETE FROM instance_invites WHERE code = @code RETURNING {Columns}", new { code }, transaction, cancellationToken: cancellationToken));

    /// <summary>
    /// Spends one use of an invite; false when it does not exist, is disabled or is used up. One
    /// conditional UPDATE, so concurrent registrations can never spend more uses than it has.
    /// </summary>
    public static async Task<bool> TryUseAsync(DbConnection connection, DbTransaction transaction, string code, CancellationToken cancellationToken) =>
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE instance_invites SET uses = uses + 1 WHERE code = @code AND (max_uses = -1 OR uses < max_uses)",
            new { code }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false) > 0;
}
