using Dapper;

namespace Rpc.Server.Data;

/// <summary>
/// Who may see a user's presence and updates: the users who share a guild or a DM/group DM with it.
/// The gateway resolves the UserAndObservers audience with <see cref="ObserversOfAsync"/>.
/// </summary>
public sealed class ObserverRepository(DbConnectionFactory connections)
{
    /// <summary>The users who share a guild or a DM with <paramref name="userId"/>, itself excluded.</summary>
    public async Task<IReadOnlyList<long>> ObserversOfAsync(long userId, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT o.user_id FROM guild_members m JOIN guild_members o ON o.guild_id = m.guild_id
            WHERE m.user_id = @userId AND o.user_id <> @userId
            UNION
            SELECT o.user_id FROM channel_recipients r JOIN channel_recipients o ON o.channel_id = r.channel_id
            WHERE r.user_id = @userId AND o.user_id <> @userId
            """;
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return (await connection.QueryAsync<long>(new CommandDefinition(sql, new { userId }, cancellationToken: cancellationToken)).ConfigureAwait(false)).AsList();
    }

    /// <summary>Whether <paramref name="viewerId"/> shares a guild or a DM with <paramref name="userId"/>.</summary>
    public async Task<bool> SharesGuildOrDmAsync(long viewerId, long userId, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT CASE WHEN EXISTS (
                SELECT 1 FROM guild_members m JOIN guild_members o ON o.guild_id = m.guild_id
                WHERE m.user_id = @viewerId AND o.user_id = @userId
            ) OR EXISTS (
                SELECT 1 FROM channel_recipients r JOIN channel_recipients o ON o.channel_id = r.channel_id
                WHERE r.user_id = @viewerId AND o.user_id = @userId
            ) THEN 1 ELSE 0 END
            """;
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteScalarAsync<int>(new CommandDefinition(sql, new { viewerId, userId }, cancellationToken: cancellationToken)).ConfigureAwait(false) == 1;
    }
}
