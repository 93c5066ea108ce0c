using System.Reflection;
using Dapper;

namespace Rpc.Server.Data;

/// <summary>
/// Applies the numbered <c>Data/Migrations/NNNN_name.sql</c> files embedded in the server, each in
/// its own transaction, and records them in <c>schema_migrations</c>.
/// </summary>
public sealed class MigrationRunner(DbConnectionFactory connections, TimeProvider clock, Microsoft.Extensions.Options.IOptions<DatabaseOptions> options, ILogger<MigrationRunner> logger)
{
    private const string CreateTable = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version BIGINT PRIMARY KEY,
            name TEXT NOT NULL,
            applied_at BIGINT NOT NULL
        )
        """;

    /// <summary>
    /// Work a migration does in C# after its SQL, in the same transaction: data only code can compute
    /// (a skeleton needs the Unicode confusables data).
    /// </summary>
    private static readonly Dictionary<int, Func<System.Data.Common.DbConnection, System.Data.Common.DbTransaction, ILogger, CancellationToken, Task>> CodeSteps = new()
    {
        [8] = async (connection, transaction, logger, cancellationToken) =>
        {
            var lookalikes = await UsernameSkeletonBackfill.RunAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
            if (lookalikes > 0)
            {
                logger.LogWarning("{Count} existing accounts have usernames that look like older accounts' names; they keep them, without a claim on the look-alike", lookalikes);
            }
        },
        [16] = (connection, transaction, _, cancellationToken) => UsernameSearchIndex.CreateAsync(connection, transaction, cancellationToken),
    };

    public static IReadOnlyList<(int Version, string Name, string Sql)> Embedded()
    {
        var assembly = typeof(MigrationRunner).Assembly;
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("Migrations.", StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(n =>
            {
                var name = n["Migrations.".Length..^".sql".Length];
                using var reader = new StreamReader(assembly.GetManifestResourceStream(n)!);
                return (int.Parse(name[..4], System.Globalization.CultureInfo.InvariantCulture), name, reader.ReadToEnd());
            })
            .OrderBy(m => m.Item1)
            .ToList();
    }

    /// <summary>The migrations to apply: the embedded ones (tests add their own).</summary>
    internal IReadOnlyList<(int Version, string Name, string Sql)> Migrations { get; init; } = Embedded();

    public async Task<int> ApplyAsync(CancellationToken cancellationToken)
    {
        await connections.InitializeAsync(cancellationToken).ConfigureAwait(false);
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        // Under the write lock: on PostgreSQL two servers' CREATE TABLE IF NOT EXISTS can otherwise both go ahead and one fail.
        await using (var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false))
        {
            await connection.ExecuteAsync(CreateTable, transaction: transaction).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        var applied = (await connection.QueryAsync<long>("SELECT version FROM schema_migrations").ConfigureAwait(false)).ToHashSet();
        var count = 0;
        var backedUp = false;
        foreach (var (version, name, sql) in Migrations)
        {
            if (applied.Contains(version))
            {
                continue;
            }

            if (!backedUp && applied.Count > 0 && connections.DatabasePath is { } path && options.Value.BackupBeforeMigrations)
            {
                backedUp = true;
                // A database with data is about to change shape: keep a copy that the old build can still open.
                var stamp = clock.GetUtcNow().ToString("yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture);
                var backup = $"{path}.before-{name}-{stamp}.bak";
                await DatabaseBackup.CopyAsync(connection, backup, cancellationToken).ConfigureAwait(false);
                logger.LogInformation("Backed up the database to {Backup} before applying migrations", backup);
            }

            await using var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
            // Another server starting on the same database may have applied it while this one waited for the write lock.
            if (await connection.ExecuteScalarAsync<long?>("SELECT version FROM schema_migrations WHERE version = @version", new { version }, transaction).ConfigureAwait(false) is not null)
            {
                continue;
            }

            await connection.ExecuteAsync(sql, transaction: transaction).ConfigureAwait(false);
            if (CodeSteps.TryGetValue(version, out var step))
            {
                await step(connection, transaction, logger, cancellationToken).ConfigureAwait(false);
            }

            await connection.ExecuteAsync(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@version, @name, @now)",
                new { version, name, now = clock.NowMilliseconds() },
                transaction).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            logger.LogInformation("Applied migration {Name}", name);
            count++;
        }

        return count;
    }
}
