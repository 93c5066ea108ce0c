using System.Data.Common;
using Dapper;

namespace Rpc.Server.Data;

/// <summary>The <c>users</c> queries and changes of the admin API and the <c>manage</c> command line.</summary>
public static class UserAdministration
{
    private const long StaffBit = 1L << (int)Rpc.Contracts.Users.UserFlag.Staff;

    /// <summary>Above this many name-prefix matches, walking ids in order finds a page sooner than sorting the matches.</summary>
    internal const int SortedMatchLimit = 50_000;

    public static Task<UserRow?> FindByIdAsync(DbConnection connection, DbTransaction? transaction, long id, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<UserRow>(new CommandDefinition(
            $"SELECT {UserRepository.Columns} FROM users WHERE id = @id", new { id }, transaction, cancellationToken: cancellationToken));

    public static Task<UserRow?> FindByUsernameAsync(DbConnection connection, DbTransaction? transaction, string usernameKey, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<UserRow>(new CommandDefinition(
            $"SELECT {UserRepository.Columns} FROM users WHERE username_claim = @usernameKey", new { usernameKey }, transaction, cancellationToken: cancellationToken));

    /// <summary>
    /// Users whose key contains <paramref name="name"/> (a substring of 3 or more characters, answered
    /// by <see cref="UsernameSearchIndex"/>; 1 or 2 characters match as a prefix) and/or whose
    /// discriminator is <paramref name="discriminator"/>, ordered by id. No plan reads the whole table:
    /// a discriminator is an equality on (discriminator, id), already in id order; a substring is a
    /// trigram index read in id order; a short prefix with few matches is a range on (username_key, id)
    /// whose ids are sorted from the index alone before the page's rows are read, and one with many
    /// matches walks the primary key in id order and stops after the page (substr keeps the planner off
    /// the name index there). Every plan starts after the id <paramref name="after"/> (keyset paging), so a deep page
    /// costs what the first one does.
    /// </summary>
    public static async Task<IReadOnlyList<UserRow>> SearchAsync(DbConnection connection, string? name, string? discriminator, long after, int offset, int count, CancellationToken cancellationToken)
    {
        var nameLength = name?.EnumerateRunes().Count() ?? 0;
        var substring = nameLength >= UsernameSearchIndex.MinSubstringLength;
        var parameters = new
        {
            namePrefix = name,
            upper = name is null ? null : name + char.ConvertFromUtf32(0x10FFFF),
            prefixLength = nameLength,
            pattern = name is null ? null : UsernameSearchIndex.ContainsPattern(name),
            phrase = name is null ? null : UsernameSearchIndex.Phrase(name),
            discriminator,
            after,
            offset,
            count,
            cap = SortedMatchLimit,
        };
        string sql;
        if (discriminator is not null)
        {
            var where = name is null ? "discriminator = @discriminator AND id > @after"
                : substring ? @"discriminator = @discriminator AND id > @after AND username_key LIKE @pattern ESCAPE '\'"
                : "discriminator = @discriminator AND id > @after AND substr(username_key, 1, @prefixLength) = @namePrefix";
            sql = $"SELECT {UserRepository.Columns} FROM users WHERE {where} ORDER BY id LIMIT @count OFFSET @offset";
        }
        else if (substring)
        {
            sql = $"SELECT {UserRepository.Columns} FROM users WHERE id IN ({UsernameSearchIndex.PageOfIdsSql(connection)}) ORDER BY id";
        }
        else
        {
            const string countMatches = "SELECT COUNT(*) FROM (SELECT 1 FROM users WHERE username_key >= @namePrefix AND username_key < @upper AND id > @after LIMIT @cap) m";
            var matches = await connection.ExecuteScalarAsync<long>(new CommandDefinition(countMatches, parameters, cancellationToken: cancellationToken)).ConfigureAwait(false);
            sql = matches < SortedMatchLimit
                ? $"""
                    SELECT {UserRepository.Columns} FROM users WHERE id IN (
                        SELECT id FROM users WHERE username_key >= @namePrefix AND username_key < @upper AND id > @after ORDER BY id LIMIT @count OFFSET @offset)
                    ORDER BY id
                    """
                : $"SELECT {UserRepository.Columns} FROM users WHERE id > @after AND substr(username_key, 1, @prefixLength) = @namePrefix ORDER BY id LIMIT @count OFFSET @offset";
        }

        return (await connection.QueryAsync<UserRow>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken)).ConfigureAwait(false)).AsList();
    }

    /// <summary>
    /// Renames, clears and locks a user in the caller's transaction. False when the new name collides
    /// (the unique index on name and discriminator decides); the caller retries with another name.
    /// </summary>
    public static async Task<bool> TrySoftDeleteAsync(DbConnection connection, DbTransaction transaction, long id, string username, string usernameKey, string passwordHash, long now, CancellationToken cancellationToken)
    {
        // username_claim and skeleton_claim NULL release the old name (and its look-alikes) for new accounts; NULLs never collide.
        const string sql = """
            UPDATE users
            SET username = @username, username_key = @usernameKey, username_claim = NULL, username_skeleton = NULL, skeleton_claim = NULL, display_name = @username,
                email = NULL, avatar = NULL, flags = 0, password_hash = @passwordHash, deleted_at = @now
            WHERE id = @id AND deleted_at IS NULL
            """;
        var (rows, refusal) = await SqlDialect.ExecuteUnlessDuplicateAsync(connection, new CommandDefinition(sql, new { id, username, usernameKey, passwordHash, now }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return refusal is null && rows > 0;
    }

    /// <summary>Sets every flag but Staff, which keeps the value it has in the row, in one statement.</summary>
    public static Task<int> SetFlagsExceptStaffAsync(DbConnection connection, DbTransaction transaction, long id, long flags, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "UPDATE users SET flags = (@flags & ~@staff) | (flags & @staff) WHERE id = @id AND deleted_at IS NULL",
            new { id, flags, staff = StaffBit }, transaction, cancellationToken: cancellationToken));

    /// <summary>Grants or removes the Staff flag; false when it already had that state.</summary>
    public static async Task<bool> SetStaffAsync(DbConnection connection, DbTransaction transaction, long id, bool staff, CancellationToken cancellationToken)
    {
        var sql = staff
            ? "UPDATE users SET flags = flags | @staff WHERE id = @id AND (flags & @staff) = 0"
            : "UPDATE users SET flags = flags & ~@staff WHERE id = @id AND (flags & @staff) <> 0";
        return await connection.ExecuteAsync(new CommandDefinition(sql, new { id, staff = StaffBit }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false) > 0;
    }

    public static async Task<IReadOnlyList<UserRow>> ListStaffAsync(DbConnection connection, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<UserRow>(new CommandDefinition(
            $"SELECT {UserRepository.Columns} FROM users WHERE (flags & @staff) <> 0 AND deleted_at IS NULL ORDER BY id",
            new { staff = StaffBit }, cancellationToken: cancellationToken)).ConfigureAwait(false)).AsList();
}
