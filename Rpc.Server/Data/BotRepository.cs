using System.Data.Common;
using Dapper;

namespace Rpc.Server.Data;

/// <summary>The <c>bots</c> table: which users are bots, and who owns them.</summary>
public static class BotRepository
{
    public static Task AddAsync(DbConnection connection, DbTransaction transaction, long botId, long ownerId, long now, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO bots (user_id, owner_id, created_at) VALUES (@botId, @ownerId, @now)", new { botId, ownerId, now }, transaction, cancellationToken: cancellationToken));

    /// <summary>How many live bots <paramref name="ownerId"/> owns.</summary>
    public static Task<int> CountLiveAsync(DbConnection connection, DbTransaction? transaction, long ownerId, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT COUNT(*) FROM bots b JOIN users u ON u.id = b.user_id WHERE b.owner_id = @ownerId AND u.deleted_at IS NULL",
            new { ownerId }, transaction, cancellationToken: cancellationToken));

    /// <summary>The live bots of <paramref name="ownerId"/>, oldest first.</summary>
    public static async Task<IReadOnlyList<UserRow>> ListLiveAsync(DbConnection connection, DbTransaction? transaction, long ownerId, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<UserRow>(new CommandDefinition(
            $"SELECT {UserRepository.Columns} FROM users WHERE id IN (SELECT user_id FROM bots WHERE owner_id = @ownerId) AND deleted_at IS NULL ORDER BY id",
            new { ownerId }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false)).AsList();

    /// <summary>Whether <paramref name="userId"/> is a bot account.</summary>
    public static async Task<bool> IsBotAsync(DbConnection connection, DbTransaction? transaction, long userId, CancellationToken cancellationToken) =>
        await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT owner_id FROM bots WHERE user_id = @userId", new { userId }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false) is not null;

    /// <summary>Whether <paramref name="botId"/> is a live bot owned by <paramref name="ownerId"/>.</summary>
    public static async Task<bool> IsLiveBotOfAsync(DbConnection connection, DbTransaction? transaction, long botId, long ownerId, CancellationToken cancellationToken) =>
        await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT b.user_id FROM bots b JOIN users u ON u.id = b.user_id WHERE b.user_id = @botId AND b.owner_id = @ownerId AND u.deleted_at IS NULL",
            new { botId, ownerId }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false) is not null;
}
