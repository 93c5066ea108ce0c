using System.Data.Common;
using Dapper;

namespace Rpc.Server.Data;

/// <summary>A row of <c>channels</c>.</summary>
public sealed record ChannelRow
{
    public long Id { get; init; }
    public int Type { get; init; }
    public string? Name { get; init; }
    public long? OwnerId { get; init; }
}

/// <summary>The channel id column of a recipient row (the user's columns map to <see cref="UserRow"/>).</summary>
public sealed record RecipientRow
{
    public long ChannelId { get; init; }
}

/// <summary>The DM and group DM channels aggregate, with their recipients.</summary>
public sealed class ChannelRepository(DbConnectionFactory connections)
{
    public const int DmType = 2;
    public const int GroupDmType = 3;

    /// <summary>The key that makes a pair's DM unique, the same whichever of the two asks.</summary>
    public static string DmKeyOf(long a, long b) => a < b ? $"{a}:{b}" : $"{b}:{a}";

    /// <summary>The DM of a pair, by its key; null when they have none.</summary>
    public static Task<ChannelRow?> FindDmAsync(DbConnection connection, DbTransaction? transaction, string dmKey, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<ChannelRow>(new CommandDefinition(
            "SELECT id, type, name, owner_id FROM channels WHERE dm_key = @dmKey", new { dmKey }, transaction, cancellationToken: cancellationToken));

    /// <summary>
    /// Creates the DM of two users in the caller's transaction, opened by <paramref name="creatorId"/>;
    /// false when their DM already exists (the UNIQUE dm_key decides, so two racing calls make one channel).
    /// </summary>
    public static async Task<bool> TryCreateDmAsync(DbConnection connection, DbTransaction transaction, long id, long creatorId, long recipientId, long now, CancellationToken cancellationToken)
    {
        const string insert = """
            INSERT INTO channels (id, type, name, owner_id, dm_key, creator_id, created_at) VALUES (@id, @type, NULL, NULL, @dmKey, @creatorId, @now)
            ON CONFLICT (dm_key) DO NOTHING
            """;
        if (await connection.ExecuteAsync(new CommandDefinition(insert, new { id, type = DmType, dmKey = DmKeyOf(creatorId, recipientId), creatorId, now }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false) == 0)
        {
            return false;
        }

        await InsertRecipientsAsync(connection, transaction, id, [creatorId, recipientId], now, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Creates a group DM with its owner and recipients as members, in the caller's transaction.</summary>
    public static async Task CreateGroupDmAsync(DbConnection connection, DbTransaction transaction, long id, long ownerId, string? name, IReadOnlyCollection<long> members, long now, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO channels (id, type, name, owner_id, dm_key, creator_id, created_at) VALUES (@id, @type, @name, @ownerId, NULL, @ownerId, @now)",
            new { id, type = GroupDmType, name, ownerId, now }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await InsertRecipientsAsync(connection, transaction, id, members, now, cancellationToken).ConfigureAwait(false);
    }

    private static Task InsertRecipientsAsync(DbConnection connection, DbTransaction transaction, long channelId, IEnumerable<long> userIds, long now, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO channel_recipients (channel_id, user_id, joined_at, closed) VALUES (@channelId, @userId, @now, FALSE)",
            userIds.Select(userId => new { channelId, userId, now }), transaction, cancellationToken: cancellationToken));

    /// <summary>Adds a recipient to a group DM.</summary>
    public static Task AddRecipientAsync(DbConnection connection, DbTransaction transaction, long channelId, long userId, long now, CancellationToken cancellationToken) =>
        InsertRecipientsAsync(connection, transaction, channelId, [userId], now, cancellationToken);

    /// <summary>The channel if <paramref name="userId"/> is one of its recipients; null otherwise.</summary>
    public static Task<ChannelRow?> FindForRecipientAsync(DbConnection connection, DbTransaction? transaction, long channelId, long userId, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<ChannelRow>(new CommandDefinition(
            "SELECT c.id, c.type, c.name, c.owner_id FROM channels c JOIN channel_recipients r ON r.channel_id = c.id AND r.user_id = @userId WHERE c.id = @channelId",
            new { channelId, userId }, transaction, cancellationToken: cancellationToken));

    /// <summary>The recipients of a channel, longest-standing first (lowest id on a tie).</summary>
    public static async Task<IReadOnlyList<long>> RecipientIdsAsync(DbConnection connection, DbTransaction? transaction, long channelId, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<long>(new CommandDefinition(
            "SELECT user_id FROM channel_recipients WHERE channel_id = @channelId ORDER BY joined_at, user_id",
            new { channelId }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false)).AsList();

    /// <summary>Closes (hides) or reopens a DM for one recipient; true when that changed anything.</summary>
    public static async Task<bool> SetClosedAsync(DbConnection connection, DbTransaction transaction, long channelId, long userId, bool closed, CancellationToken cancellationToken) =>
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE channel_recipients SET closed = @closed WHERE channel_id = @channelId AND user_id = @userId AND closed <> @closed",
            new { channelId, userId, closed }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false) > 0;

    /// <summary>Renames a group DM (null removes the name).</summary>
    public static Task SetNameAsync(DbConnection connection, DbTransaction transaction, long channelId, string? name, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "UPDATE channels SET name = @name WHERE id = @channelId", new { channelId, name }, transaction, cancellationToken: cancellationToken));

    /// <summary>How many group DMs <paramref name="userId"/> owns.</summary>
    public static Task<long> CountOwnedGroupDmsAsync(DbConnection connection, DbTransaction transaction, long userId, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM channels WHERE owner_id = @userId AND type = @type", new { userId, type = GroupDmType }, transaction, cancellationToken: cancellationToken));

    /// <summary>How many DMs <paramref name="userId"/> opened since <paramref name="since"/>, and when the first of them was opened.</summary>
    public static Task<DmsOpened> DmsOpenedSinceAsync(DbConnection connection, DbTransaction transaction, long userId, long since, CancellationToken cancellationToken) =>
        connection.QuerySingleAsync<DmsOpened>(new CommandDefinition(
            "SELECT COUNT(*) AS count, MIN(created_at) AS oldest FROM channels WHERE creator_id = @userId AND created_at > @since AND type = @type",
            new { userId, since, type = DmType }, transaction, cancellationToken: cancellationToken));

    /// <summary>The DM and group DM channels a user is in and has not closed, in id order, after the cursor.</summary>
    public async Task<IReadOnlyList<ChannelRow>> ListForUserAsync(long userId, long? after, int limit, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT c.id, c.type, c.name, c.owner_id FROM channel_recipients r JOIN channels c ON c.id = r.channel_id
            WHERE r.user_id = @userId AND r.closed = FALSE AND (@after IS NULL OR r.channel_id > @after)
            ORDER BY r.channel_id LIMIT @limit
            """;
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return (await connection.QueryAsync<ChannelRow>(new CommandDefinition(sql, new { userId, after, limit }, cancellationToken: cancellationToken)).ConfigureAwait(false)).AsList();
    }

    /// <summary>The recipients of the given channels with their user rows, in user id order.</summary>
    public async Task<IReadOnlyList<(long ChannelId, UserRow User)>> RecipientsAsync(IReadOnlyCollection<long> channelIds, CancellationToken cancellationToken)
    {
        if (channelIds.Count == 0)
        {
            return [];
        }

        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var sql = $"""
            SELECT r.channel_id, u.{UserRepository.Columns.Replace(", ", ", u.", StringComparison.Ordinal)}
            FROM channel_recipients r JOIN users u ON u.id = r.user_id
            WHERE {SqlDialect.InList(connection, "r.channel_id", "channelIds")} ORDER BY r.channel_id, u.id
            """;
        var rows = await connection.QueryAsync<RecipientRow, UserRow, (long, UserRow)>(
            new CommandDefinition(sql, new { channelIds = channelIds.ToArray() }, cancellationToken: cancellationToken),
            (recipient, user) => (recipient.ChannelId, user),
            splitOn: "id").ConfigureAwait(false);
        return rows.AsList();
    }

    /// <summary>The ids and owners of the group DMs a user is in.</summary>
    public static async Task<IReadOnlyList<(long ChannelId, long? OwnerId)>> GroupDmsOfAsync(DbConnection connection, DbTransaction transaction, long userId, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<(long, long?)>(new CommandDefinition(
            "SELECT c.id, c.owner_id FROM channel_recipients r JOIN channels c ON c.id = r.channel_id WHERE r.user_id = @userId AND c.type = @type ORDER BY c.id",
            new { userId, type = GroupDmType }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false)).AsList();

    /// <summary>Removes a recipient and returns the ids of those left, longest-standing first (lowest id on a tie).</summary>
    public static async Task<IReadOnlyList<long>> RemoveRecipientAsync(DbConnection connection, DbTransaction transaction, long channelId, long userId, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM channel_recipients WHERE channel_id = @channelId AND user_id = @userId", new { channelId, userId }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return (await connection.QueryAsync<long>(new CommandDefinition(
            "SELECT user_id FROM channel_recipients WHERE channel_id = @channelId ORDER BY joined_at, user_id", new { channelId }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false)).AsList();
    }

    /// <summary>Hands a group DM to a new owner.</summary>
    public static Task SetOwnerAsync(DbConnection connection, DbTransaction transaction, long channelId, long ownerId, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "UPDATE channels SET owner_id = @ownerId WHERE id = @channelId", new { channelId, ownerId }, transaction, cancellationToken: cancellationToken));

    /// <summary>Deletes a channel that has no recipients left.</summary>
    public static Task DeleteAsync(DbConnection connection, DbTransaction transaction, long channelId, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM channels WHERE id = @channelId", new { channelId }, transaction, cancellationToken: cancellationToken));
}

/// <summary>DMs a user opened in a window: how many, and when the first was opened (Unix ms; null when none).</summary>
public sealed record DmsOpened
{
    public long Count { get; init; }

    public long? Oldest { get; init; }
}
