using System.Data.Common;
using Dapper;

namespace Rpc.Server.Data;

/// <summary>A row of <c>users</c>.</summary>
public sealed record UserRow
{
    public long Id { get; init; }
    public string Username { get; init; } = "";
    public string UsernameKey { get; init; } = "";
    public string Discriminator { get; init; } = "";
    public string DisplayName { get; init; } = "";
    public string? Avatar { get; init; }
    public string? Email { get; init; }
    public long Flags { get; init; }
    public string PasswordHash { get; init; } = "";
    public long CreatedAt { get; init; }
    public long? DeletedAt { get; init; }
}

/// <summary>The <c>users</c> aggregate.</summary>
public sealed class UserRepository(DbConnectionFactory connections)
{
    internal const string Columns = "id, username, username_key, discriminator, display_name, avatar, email, flags, password_hash, created_at, deleted_at";

    public async Task<UserRow?> FindByIdAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await connection.QuerySingleOrDefaultAsync<UserRow>(
            new CommandDefinition($"SELECT {Columns} FROM users WHERE id = @id", new { id }, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    public async Task<UserRow?> FindByUsernameAsync(string usernameKey, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await connection.QuerySingleOrDefaultAsync<UserRow>(
            new CommandDefinition($"SELECT {Columns} FROM users WHERE username_claim = @usernameKey", new { usernameKey }, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    public async Task<bool> UsernameExistsAsync(string usernameKey, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteScalarAsync<long?>(
            new CommandDefinition("SELECT 1 FROM users WHERE username_claim = @usernameKey", new { usernameKey }, cancellationToken: cancellationToken)).ConfigureAwait(false) is not null;
    }

    /// <summary>Inserts a user; false when the username is taken (the unique index decides, also under races).</summary>
    public async Task<bool> TryInsertAsync(UserRow user, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await TryInsertAsync(connection, null, user, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Inserts a user within a caller's transaction; false when the username is taken.</summary>
    public static async Task<bool> TryInsertAsync(DbConnection connection, DbTransaction? transaction, UserRow user, CancellationToken cancellationToken)
    {
        const string sql = """
            INSERT INTO users (id, username, username_key, username_claim, discriminator, display_name, avatar, email, flags, password_hash, created_at)
            VALUES (@Id, @Username, @UsernameKey, @UsernameKey, @Discriminator, @DisplayName, @Avatar, @Email, @Flags, @PasswordHash, @CreatedAt)
            """;
        try
        {
            await connection.ExecuteAsync(new CommandDefinition(sql, user, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            return true;
        }
        catch (DbException e) when (SqlDialect.IsUniqueViolation(e))
        {
            return false;
        }
    }

    public async Task UpdatePasswordHashAsync(long id, string passwordHash, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE users SET password_hash = @passwordHash WHERE id = @id", new { id, passwordHash }, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }
}
