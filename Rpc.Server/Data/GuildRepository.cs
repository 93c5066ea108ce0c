using System.Data.Common;
using Dapper;

namespace Rpc.Server.Data;

/// <summary>A guild with its member count.</summary>
public sealed record GuildRow
{
    public long Id { get; init; }
    public string Name { get; init; } = "";
    public long OwnerId { get; init; }
    public int MemberCount { get; init; }

    /// <summary>The feature bit set (bit = index in <see cref="Rpc.Contracts.Guilds.GuildFeatures.All"/>).</summary>
    public long Features { get; init; }
    public bool Unavailable { get; init; }
    public string? Region { get; init; }

    /// <summary>The region's deprecated flag; null when the guild has no region.</summary>
    public bool? RegionDeprecated { get; init; }

    /// <summary>The region's vip flag; null when the guild has no region.</summary>
    public bool? RegionVip { get; init; }
}

/// <summary>A row of <c>guild_invites</c>.</summary>
public sealed record InviteRow
{
    public string Code { get; init; } = "";
    public long GuildId { get; init; }
    public long InviterId { get; init; }
    public int MaxUses { get; init; }
    public int Uses { get; init; }
    public long CreatedAt { get; init; }
    public long? ExpiresAt { get; init; }
}

/// <summary>How <see cref="GuildRepository.JoinAsync"/> ended.</summary>
public enum JoinOutcome
{
    Joined,
    AlreadyMember,
    UnknownInvite,
    Expired,
    Exhausted,

    /// <summary>The user is already in as many guilds as one user may be.</summary>
    TooManyGuilds,
}

/// <summary>How <see cref="GuildRepository.LeaveAsync"/> ended.</summary>
public enum LeaveOutcome
{
    Left,
    NotMember,
    Owner,
}

/// <summary>The guilds aggregate: guilds, their members and their invites.</summary>
public sealed class GuildRepository(DbConnectionFactory connections)
{
    private const string GuildColumns = """
        g.id, g.name, g.owner_id, (SELECT COUNT(*) FROM guild_members c WHERE c.guild_id = g.id) AS member_count,
        g.features, g.unavailable, g.region,
        (SELECT r.deprecated FROM voice_regions r WHERE r.id = g.region) AS region_deprecated,
        (SELECT r.vip FROM voice_regions r WHERE r.id = g.region) AS region_vip
        """;

    /// <summary>Inserts a guild and makes its owner its first member, inside the caller's transaction.</summary>
    public static async Task InsertAsync(DbConnection connection, DbTransaction transaction, long id, string name, long ownerId, string? region, long now, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO guilds (id, name, owner_id, region, created_at) VALUES (@id, @name, @ownerId, @region, @now)",
            new { id, name, ownerId, region, now }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO guild_members (guild_id, user_id, joined_at) VALUES (@id, @ownerId, @now)",
            new { id, ownerId, now }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>How many guilds <paramref name="userId"/> is a member of.</summary>
    public static Task<long> CountMembershipsAsync(DbConnection connection, DbTransaction transaction, long userId, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM guild_members WHERE user_id = @userId", new { userId }, transaction, cancellationToken: cancellationToken));

    /// <summary>Any guild by id; null when there is none.</summary>
    public static Task<GuildRow?> FindAsync(DbConnection connection, DbTransaction? transaction, long guildId, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<GuildRow>(new CommandDefinition(
            $"SELECT {GuildColumns} FROM guilds g WHERE g.id = @guildId", new { guildId }, transaction, cancellationToken: cancellationToken));

    /// <summary>Any guild by id, on its own connection; null when there is none.</summary>
    public async Task<GuildRow?> FindAsync(long guildId, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await FindAsync(connection, null, guildId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sets a guild's name and region.</summary>
    public static Task UpdateAsync(DbConnection connection, DbTransaction transaction, long guildId, string name, string? region, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "UPDATE guilds SET name = @name, region = @region WHERE id = @guildId", new { guildId, name, region }, transaction, cancellationToken: cancellationToken));

    /// <summary>Sets a guild's unavailable flag.</summary>
    public static Task SetUnavailableAsync(DbConnection connection, DbTransaction transaction, long guildId, bool unavailable, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "UPDATE guilds SET unavailable = @unavailable WHERE id = @guildId", new { guildId, unavailable }, transaction, cancellationToken: cancellationToken));

    /// <summary>Changes the feature bit set in one statement: <c>features = (features &amp; keep) | add</c>.</summary>
    public static Task ChangeFeaturesAsync(DbConnection connection, DbTransaction transaction, long guildId, long keep, long add, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "UPDATE guilds SET features = (features & @keep) | @add WHERE id = @guildId", new { guildId, keep, add }, transaction, cancellationToken: cancellationToken));

    /// <summary>Every guild whose voice region is <paramref name="region"/>.</summary>
    public static async Task<IReadOnlyList<GuildRow>> ListUsingRegionAsync(DbConnection connection, DbTransaction transaction, string region, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<GuildRow>(new CommandDefinition(
            $"SELECT {GuildColumns} FROM guilds g WHERE g.region = @region ORDER BY g.id", new { region }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false)).AsList();

    /// <summary>The guild when <paramref name="userId"/> is a member of it; null when it does not exist or the user is not in it.</summary>
    public async Task<GuildRow?> FindForMemberAsync(long guildId, long userId, CancellationToken cancellationToken)
    {
        var sql = $"""
            SELECT {GuildColumns} FROM guilds g JOIN guild_members m ON m.guild_id = g.id AND m.user_id = @userId
            WHERE g.id = @guildId
            """;
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await connection.QuerySingleOrDefaultAsync<GuildRow>(new CommandDefinition(sql, new { guildId, userId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    private static Task<GuildRow> GetAsync(DbConnection connection, DbTransaction? transaction, long guildId, CancellationToken cancellationToken) =>
        connection.QuerySingleAsync<GuildRow>(new CommandDefinition(
            $"SELECT {GuildColumns} FROM guilds g WHERE g.id = @guildId", new { guildId }, transaction, cancellationToken: cancellationToken));

    /// <summary>The guilds a user is in, in id order, after the cursor.</summary>
    public async Task<IReadOnlyList<GuildRow>> ListForMemberAsync(long userId, long? after, int limit, CancellationToken cancellationToken)
    {
        var sql = $"""
            SELECT {GuildColumns} FROM guild_members m JOIN guilds g ON g.id = m.guild_id
            WHERE m.user_id = @userId AND (@after IS NULL OR m.guild_id > @after)
            ORDER BY m.guild_id LIMIT @limit
            """;
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return (await connection.QueryAsync<GuildRow>(new CommandDefinition(sql, new { userId, after, limit }, cancellationToken: cancellationToken)).ConfigureAwait(false)).AsList();
    }

    /// <summary>
    /// A page of a guild's members in user id order after the cursor, with when each joined: one range read of
    /// the primary key (guild_id, user_id), so a page costs the same in a guild of any size.
    /// </summary>
    public async Task<IReadOnlyList<(UserRow User, long JoinedAt)>> ListMembersAsync(long guildId, long? after, int limit, CancellationToken cancellationToken)
    {
        var sql = $"""
            SELECT {UserRepository.Columns}, m.joined_at FROM guild_members m JOIN users ON users.id = m.user_id
            WHERE m.guild_id = @guildId AND (@after IS NULL OR m.user_id > @after)
            ORDER BY m.user_id LIMIT @limit
            """;
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return (await connection.QueryAsync<UserRow, long, (UserRow, long)>(new CommandDefinition(sql, new { guildId, after, limit }, cancellationToken: cancellationToken),
            (user, joinedAt) => (user, joinedAt), splitOn: "joined_at").ConfigureAwait(false)).AsList();
    }

    /// <summary>Inserts an invite; false when its code is already in use.</summary>
    public async Task<bool> TryInsertInviteAsync(InviteRow invite, CancellationToken cancellationToken)
    {
        const string sql = """
            INSERT INTO guild_invites (code, guild_id, inviter_id, max_uses, uses, created_at, expires_at)
            VALUES (@Code, @GuildId, @InviterId, @MaxUses, 0, @CreatedAt, @ExpiresAt)
            ON CONFLICT (code) DO NOTHING
            """;
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteAsync(new CommandDefinition(sql, invite, cancellationToken: cancellationToken)).ConfigureAwait(false) > 0;
    }

    /// <summary>
    /// Joins <paramref name="userId"/> to the invite's guild in one transaction. A use is counted by a
    /// conditional UPDATE (uses &lt; max_uses, not expired), so concurrent joins on an invite with N uses
    /// let exactly N users in; an existing member uses nothing.
    /// </summary>
    public async Task<(JoinOutcome Outcome, GuildRow? Guild)> JoinAsync(string code, long userId, long now, int maxGuilds, CancellationToken cancellationToken)
    {
        const string findInvite = "SELECT code, guild_id, inviter_id, max_uses, uses, created_at, expires_at FROM guild_invites WHERE code = @code";
        const string addMember = """
            INSERT INTO guild_members (guild_id, user_id, joined_at) VALUES (@guildId, @userId, @now)
            ON CONFLICT (guild_id, user_id) DO NOTHING
            """;
        const string useInvite = """
            UPDATE guild_invites SET uses = uses + 1
            WHERE code = @code AND (max_uses = 0 OR uses < max_uses) AND (expires_at IS NULL OR expires_at > @now)
            """;
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        var invite = await connection.QuerySingleOrDefaultAsync<InviteRow>(new CommandDefinition(findInvite, new { code }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (invite is null)
        {
            return (JoinOutcome.UnknownInvite, null);
        }

        var guildId = invite.GuildId;
        if (await connection.ExecuteAsync(new CommandDefinition(addMember, new { guildId, userId, now }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false) == 0)
        {
            return (JoinOutcome.AlreadyMember, await GetAsync(connection, transaction, guildId, cancellationToken).ConfigureAwait(false));
        }

        if (await CountMembershipsAsync(connection, transaction, userId, cancellationToken).ConfigureAwait(false) > maxGuilds)
        {
            await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
            return (JoinOutcome.TooManyGuilds, null);
        }

        if (await connection.ExecuteAsync(new CommandDefinition(useInvite, new { code, now }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false) == 0)
        {
            await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
            return (invite.ExpiresAt is { } expires && expires <= now ? JoinOutcome.Expired : JoinOutcome.Exhausted, null);
        }

        var guild = await GetAsync(connection, transaction, guildId, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return (JoinOutcome.Joined, guild);
    }

    /// <summary>Removes a member who does not own the guild.</summary>
    public async Task<LeaveOutcome> LeaveAsync(long guildId, long userId, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        var ownerId = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT g.owner_id FROM guilds g JOIN guild_members m ON m.guild_id = g.id AND m.user_id = @userId WHERE g.id = @guildId",
            new { guildId, userId }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (ownerId is null)
        {
            return LeaveOutcome.NotMember;
        }

        if (ownerId == userId)
        {
            return LeaveOutcome.Owner;
        }

        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM guild_members WHERE guild_id = @guildId AND user_id = @userId", new { guildId, userId }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return LeaveOutcome.Left;
    }

    /// <summary>The ids and owners of the guilds a user is in.</summary>
    public static async Task<IReadOnlyList<(long GuildId, long OwnerId)>> MembershipsAsync(DbConnection connection, DbTransaction transaction, long userId, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<(long, long)>(new CommandDefinition(
            "SELECT g.id, g.owner_id FROM guild_members m JOIN guilds g ON g.id = m.guild_id WHERE m.user_id = @userId ORDER BY g.id",
            new { userId }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false)).AsList();

    /// <summary>The member who joined first (lowest id on a tie), <paramref name="exceptUserId"/> aside; null when there is none.</summary>
    public static Task<long?> LongestStandingMemberAsync(DbConnection connection, DbTransaction transaction, long guildId, long exceptUserId, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT user_id FROM guild_members WHERE guild_id = @guildId AND user_id <> @exceptUserId ORDER BY joined_at, user_id LIMIT 1",
            new { guildId, exceptUserId }, transaction, cancellationToken: cancellationToken));

    /// <summary>Hands a guild to a new owner.</summary>
    public static Task SetOwnerAsync(DbConnection connection, DbTransaction transaction, long guildId, long ownerId, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "UPDATE guilds SET owner_id = @ownerId WHERE id = @guildId", new { guildId, ownerId }, transaction, cancellationToken: cancellationToken));

    /// <summary>Removes one membership, whoever owns the guild.</summary>
    public static Task RemoveMemberAsync(DbConnection connection, DbTransaction transaction, long guildId, long userId, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM guild_members WHERE guild_id = @guildId AND user_id = @userId", new { guildId, userId }, transaction, cancellationToken: cancellationToken));

    /// <summary>Deletes a guild with its members and invites.</summary>
    public static async Task DeleteAsync(DbConnection connection, DbTransaction transaction, long guildId, CancellationToken cancellationToken)
    {
        foreach (var sql in new[] { "DELETE FROM guild_invites WHERE guild_id = @guildId", "DELETE FROM guild_members WHERE guild_id = @guildId", "DELETE FROM guilds WHERE id = @guildId" })
        {
            await connection.ExecuteAsync(new CommandDefinition(sql, new { guildId }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
    }
}
