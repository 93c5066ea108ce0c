using Dapper;

namespace Rpc.Server.Data;

/// <summary>
/// Who may see a user's presence and profile updates: its guild mates and its friends, except users
/// it blocks or who block it. A DM alone never makes an observer: anyone could open one before
/// consent existed, and a group DM may hold strangers. The relation is symmetric.
/// The gateway resolves the Observers audiences with <see cref="ObserversOfAsync"/>.
/// </summary>
public sealed class ObserverRepository(DbConnectionFactory connections)
{
    private const string Blocks = """
        EXCEPT
        SELECT other_id FROM relationships WHERE user_id = @userId AND type = 2
        EXCEPT
        SELECT user_id FROM relationships WHERE other_id = @userId AND type = 2
        """;

    /// <summary>The users who observe <paramref name="userId"/>, itself excluded.</summary>
    public async Task<IReadOnlyList<long>> ObserversOfAsync(long userId, CancellationToken cancellationToken)
    {
        const string sql = $"""
            SELECT o.user_id FROM guild_members m JOIN guild_members o ON o.guild_id = m.guild_id
            WHERE m.user_id = @userId AND o.user_id <> @userId
            UNION
            SELECT other_id FROM relationships WHERE user_id = @userId AND type = 1
            {Blocks}
            """;
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return (await connection.QueryAsync<long>(new CommandDefinition(sql, new { userId }, cancellationToken: cancellationToken)).ConfigureAwait(false)).AsList();
    }

    /// <summary>Which of <paramref name="others"/> observe <paramref name="userId"/> (and so are seen by it).</summary>
    public async Task<HashSet<long>> ObserversAmongAsync(long userId, IReadOnlyCollection<long> others, CancellationToken cancellationToken)
    {
        var candidates = others.Where(id => id != userId).Distinct().ToArray();
        if (candidates.Length == 0)
        {
            return [];
        }

        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var sql = $"""
            SELECT o.user_id FROM guild_members m JOIN guild_members o ON o.guild_id = m.guild_id
            WHERE m.user_id = @userId AND {SqlDialect.InList(connection, "o.user_id", "candidates")}
            UNION
            SELECT other_id FROM relationships WHERE user_id = @userId AND type = 1 AND {SqlDialect.InList(connection, "other_id", "candidates")}
            {Blocks}
            """;
        return (await connection.QueryAsync<long>(new CommandDefinition(sql, new { userId, candidates }, cancellationToken: cancellationToken)).ConfigureAwait(false)).ToHashSet();
    }

    /// <summary>Whether <paramref name="viewerId"/> observes <paramref name="userId"/>.</summary>
    public async Task<bool> ObservesAsync(long viewerId, long userId, CancellationToken cancellationToken) =>
        (await ObserversAmongAsync(userId, [viewerId], cancellationToken).ConfigureAwait(false)).Contains(viewerId);
}
