using System.Data.Common;
using Dapper;

namespace Rpc.Server.Data;

/// <summary>A row of <c>discord_accounts</c>.</summary>
public sealed record DiscordAccountRow
{
    public long UserId { get; init; }
    public long DiscordId { get; init; }
    public string? Avatar { get; init; }
    public string? Discriminator { get; init; }
    public string? Locale { get; init; }
    public long MfaEnabled { get; init; }
    public long Flags { get; init; }
    public long LinkedAt { get; init; }
}

/// <summary>The <c>discord_accounts</c> aggregate: one Discord link per user, one user per Discord id.</summary>
public sealed class DiscordAccountRepository(DbConnectionFactory connections)
{
    private const string Columns = "user_id, discord_id, avatar, discriminator, locale, mfa_enabled, flags, linked_at";

    public async Task<DiscordAccountRow?> FindByUserAsync(long userId, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await FindByUserAsync(connection, null, userId, cancellationToken).ConfigureAwait(false);
    }

    public static Task<DiscordAccountRow?> FindByUserAsync(DbConnection connection, DbTransaction? transaction, long userId, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<DiscordAccountRow>(new CommandDefinition(
            $"SELECT {Columns} FROM discord_accounts WHERE user_id = @userId", new { userId }, transaction, cancellationToken: cancellationToken));

    public async Task<DiscordAccountRow?> FindByDiscordIdAsync(long discordId, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await connection.QuerySingleOrDefaultAsync<DiscordAccountRow>(new CommandDefinition(
            $"SELECT {Columns} FROM discord_accounts WHERE discord_id = @discordId", new { discordId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Linked Discord ids greater than <paramref name="after"/>, ascending.</summary>
    public async Task<IReadOnlyList<long>> ListDiscordIdsAsync(long? after, int limit, CancellationToken cancellationToken)
    {
        const string sql = "SELECT discord_id FROM discord_accounts WHERE (@after IS NULL OR discord_id > @after) ORDER BY discord_id LIMIT @limit";
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return (await connection.QueryAsync<long>(new CommandDefinition(sql, new { after, limit }, cancellationToken: cancellationToken)).ConfigureAwait(false)).AsList();
    }

    public async Task<bool> AnyAsync(CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT 1 FROM discord_accounts LIMIT 1", cancellationToken: cancellationToken)).ConfigureAwait(false) is not null;
    }

    /// <summary>
    /// Links the user, replacing its previous link; false when the Discord id is linked to another
    /// user (the unique index decides, also under races).
    /// </summary>
    public static async Task<bool> TryUpsertAsync(DbConnection connection, DbTransaction transaction, DiscordAccountRow row, CancellationToken cancellationToken)
    {
        const string sql = """
            INSERT INTO discord_accounts (user_id, discord_id, avatar, discriminator, locale, mfa_enabled, flags, linked_at)
            VALUES (@UserId, @DiscordId, @Avatar, @Discriminator, @Locale, @MfaEnabled, @Flags, @LinkedAt)
            ON CONFLICT (user_id) DO UPDATE SET
                discord_id = excluded.discord_id, avatar = excluded.avatar, discriminator = excluded.discriminator,
                locale = excluded.locale, mfa_enabled = excluded.mfa_enabled, flags = excluded.flags, linked_at = excluded.linked_at
            """;
        var (_, refusal) = await SqlDialect.ExecuteUnlessDuplicateAsync(connection, new CommandDefinition(sql, row, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return refusal is null;
    }

    public static async Task<bool> DeleteAsync(DbConnection connection, DbTransaction transaction, long userId, CancellationToken cancellationToken) =>
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM discord_accounts WHERE user_id = @userId", new { userId }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false) > 0;
}
