using System.Data.Common;
using Dapper;

namespace Rpc.Server.Data;

/// <summary>A row of <c>users</c>.</summary>
public sealed record UserRow
{
    public long Id { get; init; }
    public string Username { get; init; } = "";
    public string UsernameKey { get; init; } = "";

    /// <summary>The UTS #39 confusable skeleton of <see cref="UsernameKey"/>; null only for accounts made before it was kept.</summary>
    public string? UsernameSkeleton { get; init; }
    public string Discriminator { get; init; } = "";
    public string DisplayName { get; init; } = "";
    public string? Avatar { get; init; }
    public string? Email { get; init; }
    public long Flags { get; init; }
    public string PasswordHash { get; init; } = "";
    public long CreatedAt { get; init; }
    public long? DeletedAt { get; init; }
}

/// <summary>What inserting or renaming a user came to; the unique indexes decide, also under races.</summary>
public enum UserWriteOutcome
{
    /// <summary>Written.</summary>
    Done,

    /// <summary><c>username_claim</c> clashed: the name is taken (unique usernames).</summary>
    UsernameTaken,

    /// <summary><c>users_tag</c> clashed: this username#discriminator is taken.</summary>
    TagTaken,

    /// <summary>
    /// <c>skeleton_claim</c> clashed: another account's name looks the same (unique usernames), or a
    /// look-alike name holds this discriminator (tagged usernames).
    /// </summary>
    Lookalike,
}

/// <summary>The <c>users</c> aggregate.</summary>
public sealed class UserRepository(DbConnectionFactory connections)
{
    internal const string Columns = "id, username, username_key, username_skeleton, discriminator, display_name, avatar, email, flags, password_hash, created_at, deleted_at";

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

    /// <summary>Whether an account claims this skeleton (unique usernames): a name that looks like it is taken.</summary>
    public async Task<bool> SkeletonClaimedAsync(string skeleton, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteScalarAsync<long?>(
            new CommandDefinition("SELECT 1 FROM users WHERE skeleton_claim = @skeleton", new { skeleton }, cancellationToken: cancellationToken)).ConfigureAwait(false) is not null;
    }

    /// <summary>
    /// The value of <c>skeleton_claim</c> for a live account: its skeleton when usernames are unique
    /// (<paramref name="uniqueUsernames"/>), else skeleton#discriminator, so look-alike tags never coexist.
    /// </summary>
    public static string SkeletonClaim(string skeleton, string discriminator, bool uniqueUsernames) =>
        uniqueUsernames ? skeleton : skeleton + "#" + discriminator;

    /// <summary>
    /// Inserts a user within a caller's transaction. <paramref name="claimUsername"/> sets
    /// <c>username_claim</c> (unique usernames); without it only <c>username#discriminator</c> is unique.
    /// </summary>
    public static async Task<UserWriteOutcome> InsertAsync(DbConnection connection, DbTransaction? transaction, UserRow user, bool claimUsername, CancellationToken cancellationToken)
    {
        const string sql = """
            INSERT INTO users (id, username, username_key, username_claim, username_skeleton, skeleton_claim, discriminator, display_name, avatar, email, flags, password_hash, created_at)
            VALUES (@Id, @Username, @UsernameKey, @Claim, @UsernameSkeleton, @SkeletonClaim, @Discriminator, @DisplayName, @Avatar, @Email, @Flags, @PasswordHash, @CreatedAt)
            """;
        var parameters = Claims(user, claimUsername);
        var outcome = await WriteAsync(connection, new CommandDefinition(sql, parameters, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return await ExactClashFirstAsync(connection, transaction, user, claimUsername, outcome, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes a user's profile fields within a caller's transaction; the unique indexes decide clashes.
    /// The skeleton claim is rewritten only when the tag changes (<paramref name="tagChanged"/>), so an
    /// old account that kept a look-alike name without a claim can still change its display name.
    /// </summary>
    public static async Task<UserWriteOutcome> UpdateProfileAsync(DbConnection connection, DbTransaction transaction, UserRow user, bool claimUsername, bool tagChanged, CancellationToken cancellationToken)
    {
        const string retag = """
            UPDATE users SET username = @Username, username_key = @UsernameKey, username_claim = @Claim,
                username_skeleton = @UsernameSkeleton, skeleton_claim = @SkeletonClaim,
                discriminator = @Discriminator, display_name = @DisplayName, avatar = @Avatar
            WHERE id = @Id
            """;
        const string profile = """
            UPDATE users SET username = @Username, display_name = @DisplayName, avatar = @Avatar
            WHERE id = @Id
            """;
        var parameters = tagChanged ? Claims(user, claimUsername) : new DynamicParameters(user);
        var outcome = await WriteAsync(connection, new CommandDefinition(tagChanged ? retag : profile, parameters, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return await ExactClashFirstAsync(connection, transaction, user, claimUsername, outcome, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The same name clashes on both unique claims, and the database reports whichever index it checks
    /// first: a look-alike clash is reported as the name being taken when the name itself is.
    /// </summary>
    private static async Task<UserWriteOutcome> ExactClashFirstAsync(DbConnection connection, DbTransaction? transaction, UserRow user, bool claimUsername, UserWriteOutcome outcome, CancellationToken cancellationToken)
    {
        if (outcome != UserWriteOutcome.Lookalike || !claimUsername)
        {
            return outcome;
        }

        var taken = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT 1 FROM users WHERE username_claim = @UsernameKey AND id <> @Id", new { user.UsernameKey, user.Id }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return taken is null ? outcome : UserWriteOutcome.UsernameTaken;
    }

    private static DynamicParameters Claims(UserRow user, bool claimUsername)
    {
        var skeleton = user.UsernameSkeleton ?? throw new InvalidOperationException("a written username needs its skeleton");
        var parameters = new DynamicParameters(user);
        parameters.Add("Claim", claimUsername ? user.UsernameKey : null);
        parameters.Add("SkeletonClaim", SkeletonClaim(skeleton, user.Discriminator, claimUsername));
        return parameters;
    }

    private static async Task<UserWriteOutcome> WriteAsync(DbConnection connection, CommandDefinition command)
    {
        var (_, refusal) = await SqlDialect.ExecuteUnlessDuplicateAsync(connection, command).ConfigureAwait(false);
        return refusal is null ? UserWriteOutcome.Done
            : SqlDialect.IsUniqueViolationOf(refusal, "username_claim") ? UserWriteOutcome.UsernameTaken
            : SqlDialect.IsUniqueViolationOf(refusal, "skeleton_claim") ? UserWriteOutcome.Lookalike
            : UserWriteOutcome.TagTaken;
    }

    /// <summary>
    /// The discriminators in use for a username key or any name that looks like it (same skeleton),
    /// soft-deleted accounts included (their tags stay reserved).
    /// </summary>
    public static async Task<HashSet<string>> TakenDiscriminatorsAsync(DbConnection connection, DbTransaction? transaction, string usernameKey, string skeleton, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT discriminator FROM users WHERE username_key = @usernameKey OR username_skeleton = @skeleton",
            new { usernameKey, skeleton }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false)).ToHashSet(StringComparer.Ordinal);

    public async Task<int> CountWithUsernameAsync(string usernameKey, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT COUNT(*) FROM users WHERE username_key = @usernameKey", new { usernameKey }, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Live accounts with this username key, at most <paramref name="limit"/> (tagged usernames: several may share it).</summary>
    public async Task<IReadOnlyList<UserRow>> FindLiveByUsernameKeyAsync(string usernameKey, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return (await connection.QueryAsync<UserRow>(new CommandDefinition(
            $"SELECT {Columns} FROM users WHERE username_key = @usernameKey AND deleted_at IS NULL ORDER BY id LIMIT @limit",
            new { usernameKey, limit }, cancellationToken: cancellationToken)).ConfigureAwait(false)).AsList();
    }

    /// <summary>The live account with this username#discriminator.</summary>
    public async Task<UserRow?> FindLiveByTagAsync(string usernameKey, string discriminator, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await connection.QuerySingleOrDefaultAsync<UserRow>(new CommandDefinition(
            $"SELECT {Columns} FROM users WHERE username_key = @usernameKey AND discriminator = @discriminator AND deleted_at IS NULL",
            new { usernameKey, discriminator }, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>A live (not deleted) user.</summary>
    public async Task<UserRow?> FindLiveAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await FindLiveAsync(connection, null, id, cancellationToken).ConfigureAwait(false);
    }

    public static Task<UserRow?> FindLiveAsync(DbConnection connection, DbTransaction? transaction, long id, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<UserRow>(new CommandDefinition(
            $"SELECT {Columns} FROM users WHERE id = @id AND deleted_at IS NULL", new { id }, transaction, cancellationToken: cancellationToken));

    /// <summary>The live users among <paramref name="ids"/>, in id order.</summary>
    public static async Task<IReadOnlyList<UserRow>> FindLiveManyAsync(DbConnection connection, DbTransaction? transaction, IReadOnlyCollection<long> ids, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<UserRow>(new CommandDefinition(
            $"SELECT {Columns} FROM users WHERE {SqlDialect.InList(connection, "id", "ids")} AND deleted_at IS NULL ORDER BY id", new { ids = ids.ToArray() }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false)).AsList();

    /// <summary>
    /// Sets a user's password hash in a caller's transaction (a password change). Writing the row takes
    /// its lock, so a login that checked the old hash cannot add a session after this commits
    /// (<see cref="SessionRepository.InsertForCredentialAsync"/>).
    /// </summary>
    /// <summary>Sets a live user's password hash; 0 when the user is deleted.</summary>
    public static Task<int> UpdatePasswordHashAsync(DbConnection connection, DbTransaction transaction, long id, string passwordHash, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "UPDATE users SET password_hash = @passwordHash WHERE id = @id AND deleted_at IS NULL", new { id, passwordHash }, transaction, cancellationToken: cancellationToken));

    public async Task<IReadOnlyList<UserRow>> FindLiveManyAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await FindLiveManyAsync(connection, null, ids, cancellationToken).ConfigureAwait(false);
    }
}
