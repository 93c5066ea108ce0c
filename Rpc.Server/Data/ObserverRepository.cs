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

    /// <summary>
    /// The users who observe <paramref name="userId"/> through its friendships and the guilds of it not in
    /// <paramref name="exceptGuilds"/> (its large guilds, whose members READY lists from the presence state with
    /// <see cref="GuildMemberIdsAsync"/> instead), itself and users across a block either way excluded.
    /// </summary>
    public async Task<IReadOnlyList<long>> ObserversOfAsync(long userId, IReadOnlyCollection<long> exceptGuilds, CancellationToken cancellationToken)
    {
        if (exceptGuilds.Count == 0)
        {
            return await ObserversOfAsync(userId, cancellationToken).ConfigureAwait(false);
        }

        var except = exceptGuilds.ToArray();
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var sql = $"""
            SELECT o.user_id FROM guild_members m JOIN guild_members o ON o.guild_id = m.guild_id
            WHERE m.user_id = @userId AND o.user_id <> @userId AND NOT ({SqlDialect.InList(connection, "m.guild_id", "except")})
            UNION
            SELECT other_id FROM relationships WHERE user_id = @userId AND type = 1
            {Blocks}
            """;
        return (await connection.QueryAsync<long>(new CommandDefinition(sql, new { userId, except }, cancellationToken: cancellationToken)).ConfigureAwait(false)).AsList();
    }

    /// <summary>
    /// A page of <paramref name="guildId"/>'s member ids in id order after <paramref name="after"/>: one range read of
    /// the primary key's index (guild_id, user_id), whatever the guild's size.
    /// </summary>
    public async Task<IReadOnlyList<long>> GuildMemberIdsAsync(long guildId, long after, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return (await connection.QueryAsync<long>(new CommandDefinition(
            "SELECT user_id FROM guild_members WHERE guild_id = @guildId AND user_id > @after ORDER BY user_id LIMIT @limit",
            new { guildId, after, limit }, cancellationToken: cancellationToken)).ConfigureAwait(false)).AsList();
    }

    /// <summary>
    /// Who gets <paramref name="userId"/>'s presence changes: its observers through guilds of at most
    /// <paramref name="largeThreshold"/> members and its friends (blocks either way excepted), the guilds of it
    /// with more members (whose presence goes only to the sessions subscribed to them), and the users on either
    /// side of a block with it (who get nothing, subscribed or not). One round trip; each guild of the user is
    /// counted through the primary key's index, and only up to <paramref name="largeThreshold"/> + 1 members (whether it is
    /// large is all that matters here), so a change costs the same in a guild of 10,000 as in one of 251.
    /// </summary>
    public async Task<PresenceAudience> PresenceAudienceAsync(long userId, int largeThreshold, CancellationToken cancellationToken)
    {
        const string sql = """
            WITH mine AS (
                SELECT m.guild_id, (SELECT COUNT(*) FROM (SELECT 1 FROM guild_members c WHERE c.guild_id = m.guild_id LIMIT @largeThreshold + 1) c) AS members
                FROM guild_members m WHERE m.user_id = @userId)
            SELECT 1 AS kind, guild_id AS id FROM mine WHERE members > @largeThreshold
            UNION ALL
            SELECT 2, other_id FROM relationships WHERE user_id = @userId AND type = 2
            UNION ALL
            SELECT 2, user_id FROM relationships WHERE other_id = @userId AND type = 2
            UNION ALL
            SELECT 0, x.user_id FROM (
                SELECT o.user_id FROM mine JOIN guild_members o ON o.guild_id = mine.guild_id
                WHERE mine.members <= @largeThreshold AND o.user_id <> @userId
                UNION
                SELECT other_id FROM relationships WHERE user_id = @userId AND type = 1) x
            """;
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var observers = new HashSet<long>();
        var largeGuilds = new List<long>();
        var blocked = new HashSet<long>();
        foreach (var (kind, id) in await connection.QueryAsync<(long, long)>(new CommandDefinition(sql, new { userId, largeThreshold }, cancellationToken: cancellationToken)).ConfigureAwait(false))
        {
            switch (kind)
            {
                case 0:
                    observers.Add(id);
                    break;
                case 1:
                    largeGuilds.Add(id);
                    break;
                default:
                    blocked.Add(id);
                    break;
            }
        }

        observers.ExceptWith(blocked);
        return new PresenceAudience(observers, largeGuilds, blocked);
    }

    /// <summary>The users <paramref name="userId"/> blocks and those who block it.</summary>
    public async Task<HashSet<long>> BlockedEitherWayAsync(long userId, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT other_id FROM relationships WHERE user_id = @userId AND type = 2
            UNION
            SELECT user_id FROM relationships WHERE other_id = @userId AND type = 2
            """;
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return (await connection.QueryAsync<long>(new CommandDefinition(sql, new { userId }, cancellationToken: cancellationToken)).ConfigureAwait(false)).ToHashSet();
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

    /// <summary>
    /// Which of <paramref name="others"/> share a guild with <paramref name="userId"/> across a block either way:
    /// they are shown each other as <c>OFFLINE</c>, since guild mates always see a status and a missing one would
    /// tell the blocked user of the block.
    /// </summary>
    public async Task<HashSet<long>> BlockedGuildMatesAmongAsync(long userId, IReadOnlyCollection<long> others, CancellationToken cancellationToken)
    {
        var candidates = others.Where(id => id != userId).Distinct().ToArray();
        if (candidates.Length == 0)
        {
            return [];
        }

        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var sql = $"""
            SELECT DISTINCT o.user_id FROM guild_members m JOIN guild_members o ON o.guild_id = m.guild_id
            WHERE m.user_id = @userId AND {SqlDialect.InList(connection, "o.user_id", "candidates")}
              AND (EXISTS (SELECT 1 FROM relationships r WHERE r.user_id = @userId AND r.other_id = o.user_id AND r.type = 2)
                OR EXISTS (SELECT 1 FROM relationships r WHERE r.user_id = o.user_id AND r.other_id = @userId AND r.type = 2))
            """;
        return (await connection.QueryAsync<long>(new CommandDefinition(sql, new { userId, candidates }, cancellationToken: cancellationToken)).ConfigureAwait(false)).ToHashSet();
    }

    /// <summary>Whether <paramref name="viewerId"/> observes <paramref name="userId"/>.</summary>
    public async Task<bool> ObservesAsync(long viewerId, long userId, CancellationToken cancellationToken) =>
        (await ObserversAmongAsync(userId, [viewerId], cancellationToken).ConfigureAwait(false)).Contains(viewerId);
}

/// <summary>Who gets a user's presence changes (<see cref="ObserverRepository.PresenceAudienceAsync"/>).</summary>
/// <param name="Observers">Observers through small guilds and friendships, blocks excepted.</param>
/// <param name="LargeGuilds">The user's large guilds: their subscribed sessions get the change too.</param>
/// <param name="Blocked">Users on either side of a block with the user: never sent the change.</param>
public sealed record PresenceAudience(IReadOnlySet<long> Observers, IReadOnlyList<long> LargeGuilds, IReadOnlySet<long> Blocked);
