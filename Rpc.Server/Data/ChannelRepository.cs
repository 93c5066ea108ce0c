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

    public async Task<ChannelRow?> FindDmAsync(string dmKey, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await connection.QuerySingleOrDefaultAsync<ChannelRow>(new CommandDefinition(
            "SELECT id, type, name, owner_id FROM channels WHERE dm_key = @dmKey", new { dmKey }, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>
    /// Creates the DM of two users; false when their DM already exists (the UNIQUE dm_key decides,
    /// so two racing calls make one channel).
    /// </summary>
    public async Task<bool> TryCreateDmAsync(long id, long userA, long userB, long now, CancellationToken cancellationToken)
    {
        const string insert = """
            INSERT INTO channels (id, type, name, owner_id, dm_key, created_at) VALUES (@id, @type, NULL, NULL, @dmKey, @now)
            ON CONFLICT (dm_key) DO NOTHING
            """;
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        if (await connection.ExecuteAsync(new CommandDefinition(insert, new { id, type = DmType, dmKey = DmKeyOf(userA, userB), now }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false) == 0)
        {
            return false;
        }

        await InsertRecipientsAsync(connection, transaction, id, [userA, userB], cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Creates a group DM with its owner and recipients as members.</summary>
    public async Task CreateGroupDmAsync(long id, long ownerId, string? name, IReadOnlyCollection<long> members, long now, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO channels (id, type, name, owner_id, dm_key, created_at) VALUES (@id, @type, @name, @ownerId, NULL, @now)",
            new { id, type = GroupDmType, name, ownerId, now }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await InsertRecipientsAsync(connection, transaction, id, members, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private static Task InsertRecipientsAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction, long channelId, IEnumerable<long> userIds, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO channel_recipients (channel_id, user_id) VALUES (@channelId, @userId)",
            userIds.Select(userId => new { channelId, userId }), transaction, cancellationToken: cancellationToken));

    /// <summary>The DM and group DM channels a user is in, in id order, after the cursor.</summary>
    public async Task<IReadOnlyList<ChannelRow>> ListForUserAsync(long userId, long? after, int limit, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT c.id, c.type, c.name, c.owner_id FROM channel_recipients r JOIN channels c ON c.id = r.channel_id
            WHERE r.user_id = @userId AND (@after IS NULL OR r.channel_id > @after)
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

    /// <summary>Removes a recipient and returns the ids of those left, in id order.</summary>
    public static async Task<IReadOnlyList<long>> RemoveRecipientAsync(DbConnection connection, DbTransaction transaction, long channelId, long userId, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM channel_recipients WHERE channel_id = @channelId AND user_id = @userId", new { channelId, userId }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return (await connection.QueryAsync<long>(new CommandDefinition(
            "SELECT user_id FROM channel_recipients WHERE channel_id = @channelId ORDER BY user_id", new { channelId }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false)).AsList();
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
