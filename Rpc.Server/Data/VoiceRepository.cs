using System.Data.Common;
using Dapper;

namespace Rpc.Server.Data;

/// <summary>A row of <c>voice_regions</c>.</summary>
public sealed record VoiceRegionRow
{
    public string Id { get; init; } = "";
    public string Name { get; init; } = "";
    public bool Vip { get; init; }
    public bool Deprecated { get; init; }
    public bool Custom { get; init; }
    public long CreatedAt { get; init; }
}

/// <summary>A row of <c>voice_servers</c>.</summary>
public sealed record VoiceServerRow
{
    public string Hostname { get; init; } = "";
    public string RegionId { get; init; } = "";
    public double LastHealth { get; init; }
    public long CreatedAt { get; init; }
}

/// <summary>The voice regions aggregate: regions and the servers in them.</summary>
public sealed class VoiceRepository(DbConnectionFactory connections)
{
    private const string RegionColumns = "id, name, vip, deprecated, custom, created_at";

    public static async Task<IReadOnlyList<VoiceRegionRow>> ListRegionsAsync(DbConnection connection, DbTransaction? transaction, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<VoiceRegionRow>(new CommandDefinition(
            $"SELECT {RegionColumns} FROM voice_regions ORDER BY id", transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false)).AsList();

    public static Task<VoiceRegionRow?> FindRegionAsync(DbConnection connection, DbTransaction? transaction, string id, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<VoiceRegionRow>(new CommandDefinition(
            $"SELECT {RegionColumns} FROM voice_regions WHERE id = @id", new { id }, transaction, cancellationToken: cancellationToken));

    /// <summary>Inserts a region; false when its id is taken (the primary key decides).</summary>
    public static async Task<bool> TryInsertRegionAsync(DbConnection connection, DbTransaction transaction, VoiceRegionRow region, CancellationToken cancellationToken)
    {
        const string sql = """
            INSERT INTO voice_regions (id, name, vip, deprecated, custom, created_at)
            VALUES (@Id, @Name, @Vip, @Deprecated, @Custom, @CreatedAt) ON CONFLICT DO NOTHING
            """;
        return await connection.ExecuteAsync(new CommandDefinition(sql, region, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false) > 0;
    }

    /// <summary>Marks a region deprecated; false when it does not exist.</summary>
    public static async Task<bool> DeprecateRegionAsync(DbConnection connection, DbTransaction transaction, string id, CancellationToken cancellationToken) =>
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE voice_regions SET deprecated = TRUE WHERE id = @id", new { id }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false) > 0;

    public async Task<IReadOnlyList<VoiceServerRow>> ListServersAsync(string regionId, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return (await connection.QueryAsync<VoiceServerRow>(new CommandDefinition(
            "SELECT hostname, region_id, last_health, created_at FROM voice_servers WHERE region_id = @regionId ORDER BY hostname",
            new { regionId }, cancellationToken: cancellationToken)).ConfigureAwait(false)).AsList();
    }

    /// <summary>Inserts a server; false when the hostname is taken in any region (the primary key decides).</summary>
    public static async Task<bool> TryInsertServerAsync(DbConnection connection, DbTransaction transaction, VoiceServerRow server, CancellationToken cancellationToken)
    {
        const string sql = """
            INSERT INTO voice_servers (hostname, region_id, last_health, created_at)
            VALUES (@Hostname, @RegionId, @LastHealth, @CreatedAt) ON CONFLICT DO NOTHING
            """;
        return await connection.ExecuteAsync(new CommandDefinition(sql, server, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false) > 0;
    }
}
