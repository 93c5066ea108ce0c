using System.Data.Common;
using Dapper;

namespace Rpc.Server.Data;

/// <summary>A row of <c>relationships</c>: <see cref="UserId"/>'s view of its relationship with <see cref="OtherId"/>.</summary>
public sealed record RelationshipRow
{
    public long UserId { get; init; }
    public long OtherId { get; init; }
    public int Type { get; init; }
    public long Since { get; init; }
}

/// <summary>A row of <c>user_settings</c>.</summary>
public sealed record UserSettingsRow
{
    public bool AllowDmsFromGuildMembers { get; init; } = true;
    public string FriendRequestsFrom { get; init; } = Everyone;

    public const string Everyone = "everyone";
    public const string MutualGuilds = "mutual_guilds";
    public const string Nobody = "nobody";

    public static readonly UserSettingsRow Default = new();
}

/// <summary>
/// The relationships and privacy settings aggregate. The writes run inside the caller's write
/// transaction, so each rule is checked and applied with nothing in between (writers run one at a
/// time: see <see cref="SqlDialect.BeginWriteAsync"/>).
/// </summary>
public sealed class RelationshipRepository(DbConnectionFactory connections)
{
    public const int Friend = 1;
    public const int Blocked = 2;
    public const int Incoming = 3;
    public const int Outgoing = 4;

    /// <summary>Every relationship of <paramref name="userId"/>, in other user id order.</summary>
    public async Task<IReadOnlyList<RelationshipRow>> ListAsync(long userId, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return (await connection.QueryAsync<RelationshipRow>(new CommandDefinition(
            "SELECT user_id, other_id, type, since FROM relationships WHERE user_id = @userId ORDER BY other_id",
            new { userId }, cancellationToken: cancellationToken)).ConfigureAwait(false)).AsList();
    }

    /// <summary><paramref name="userId"/>'s row about <paramref name="otherId"/>, or null.</summary>
    public static Task<RelationshipRow?> FindAsync(DbConnection connection, DbTransaction transaction, long userId, long otherId, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<RelationshipRow>(new CommandDefinition(
            "SELECT user_id, other_id, type, since FROM relationships WHERE user_id = @userId AND other_id = @otherId",
            new { userId, otherId }, transaction, cancellationToken: cancellationToken));

    /// <summary>Sets <paramref name="userId"/>'s row about <paramref name="otherId"/> (replacing any).</summary>
    public static async Task SetAsync(DbConnection connection, DbTransaction transaction, long userId, long otherId, int type, long since, CancellationToken cancellationToken)
    {
        await DeleteAsync(connection, transaction, userId, otherId, cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO relationships (user_id, other_id, type, since) VALUES (@userId, @otherId, @type, @since)",
            new { userId, otherId, type, since }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Deletes <paramref name="userId"/>'s row about <paramref name="otherId"/>.</summary>
    public static Task<int> DeleteAsync(DbConnection connection, DbTransaction transaction, long userId, long otherId, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM relationships WHERE user_id = @userId AND other_id = @otherId",
            new { userId, otherId }, transaction, cancellationToken: cancellationToken));

    /// <summary>Whether either user blocks the other.</summary>
    public static async Task<bool> BlockedEitherWayAsync(DbConnection connection, DbTransaction transaction, long a, long b, CancellationToken cancellationToken) =>
        await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM relationships WHERE type = @type AND ((user_id = @a AND other_id = @b) OR (user_id = @b AND other_id = @a))",
            new { a, b, type = Blocked }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false) > 0;

    /// <summary>Which of <paramref name="others"/> are friends of <paramref name="userId"/>.</summary>
    public static async Task<HashSet<long>> FriendsAmongAsync(DbConnection connection, DbTransaction transaction, long userId, IReadOnlyCollection<long> others, CancellationToken cancellationToken)
    {
        var sql = $"SELECT other_id FROM relationships WHERE user_id = @userId AND type = @type AND {SqlDialect.InList(connection, "other_id", "others")}";
        return (await connection.QueryAsync<long>(new CommandDefinition(sql, new { userId, type = Friend, others = others.ToArray() }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false)).ToHashSet();
    }

    /// <summary>Whether the two users are members of a common guild.</summary>
    public static async Task<bool> ShareGuildAsync(DbConnection connection, DbTransaction transaction, long a, long b, CancellationToken cancellationToken) =>
        await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM guild_members m JOIN guild_members o ON o.guild_id = m.guild_id WHERE m.user_id = @a AND o.user_id = @b",
            new { a, b }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false) > 0;

    /// <summary>Deletes every relationship row of or about <paramref name="userId"/>, and its settings; returns the rows the other users had about it.</summary>
    public static async Task<IReadOnlyList<RelationshipRow>> DeleteAllOfAsync(DbConnection connection, DbTransaction transaction, long userId, CancellationToken cancellationToken)
    {
        var theirs = (await connection.QueryAsync<RelationshipRow>(new CommandDefinition(
            "SELECT user_id, other_id, type, since FROM relationships WHERE other_id = @userId ORDER BY user_id",
            new { userId }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false)).AsList();
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM relationships WHERE user_id = @userId OR other_id = @userId", new { userId }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM user_settings WHERE user_id = @userId", new { userId }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return theirs;
    }

    /// <summary>The settings of <paramref name="userId"/>, the defaults when it never changed them.</summary>
    public async Task<UserSettingsRow> SettingsAsync(long userId, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await SettingsAsync(connection, null, userId, cancellationToken).ConfigureAwait(false);
    }

    public static async Task<UserSettingsRow> SettingsAsync(DbConnection connection, DbTransaction? transaction, long userId, CancellationToken cancellationToken) =>
        await connection.QuerySingleOrDefaultAsync<UserSettingsRow>(new CommandDefinition(
            "SELECT allow_dms_from_guild_members, friend_requests_from FROM user_settings WHERE user_id = @userId",
            new { userId }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false) ?? UserSettingsRow.Default;

    public static async Task SaveSettingsAsync(DbConnection connection, DbTransaction transaction, long userId, UserSettingsRow settings, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM user_settings WHERE user_id = @userId", new { userId }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO user_settings (user_id, allow_dms_from_guild_members, friend_requests_from) VALUES (@userId, @AllowDmsFromGuildMembers, @FriendRequestsFrom)",
            new { userId, settings.AllowDmsFromGuildMembers, settings.FriendRequestsFrom }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>
    /// Whether <paramref name="senderId"/> may open a DM with <paramref name="recipientId"/>: never across a
    /// block; friends may; guild mates may when the recipient allows DMs from guild members.
    /// </summary>
    public static async Task<bool> MayOpenDmAsync(DbConnection connection, DbTransaction transaction, long senderId, long recipientId, CancellationToken cancellationToken)
    {
        if (await BlockedEitherWayAsync(connection, transaction, senderId, recipientId, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        if (await FindAsync(connection, transaction, senderId, recipientId, cancellationToken).ConfigureAwait(false) is { Type: Friend })
        {
            return true;
        }

        return (await SettingsAsync(connection, transaction, recipientId, cancellationToken).ConfigureAwait(false)).AllowDmsFromGuildMembers
            && await ShareGuildAsync(connection, transaction, senderId, recipientId, cancellationToken).ConfigureAwait(false);
    }
}
