using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Rpc.Server.Data;

/// <summary>
/// Opens connections, one per operation (SQLite connections are not thread-safe; both providers pool,
/// which makes opening cheap), and begins write transactions. What differs between SQLite and
/// PostgreSQL lives here and in <see cref="SqlDialect"/> only; the repositories' SQL is shared.
/// </summary>
public sealed class DbConnectionFactory : IAsyncDisposable
{
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<SQLitePCL.sqlite3, DbConnectionFactory> Configured = new();
    private readonly string? sqliteConnectionString;
    private readonly NpgsqlDataSource? postgres;
    private readonly string synchronous;
    private DatabaseFileLock? fileLock;

    static DbConnectionFactory()
    {
        // Columns are snake_case, row records PascalCase.
        Dapper.DefaultTypeMap.MatchNamesWithUnderscores = true;
    }

    public DbConnectionFactory(IOptions<DatabaseOptions> options)
    {
        var o = options.Value;
        synchronous = o.Synchronous;
        if (o.Provider == "postgres")
        {
            if (string.IsNullOrWhiteSpace(o.ConnectionString))
            {
                throw new InvalidOperationException("Database:Provider is postgres but Database:ConnectionString is empty");
            }

            var builder = new NpgsqlConnectionStringBuilder(o.ConnectionString);
            if (!o.ConnectionString.Contains("Command Timeout", StringComparison.OrdinalIgnoreCase)
                && !o.ConnectionString.Contains("CommandTimeout", StringComparison.OrdinalIgnoreCase))
            {
                // A statement waiting on a lock fails after the same time as on SQLite, not Npgsql's 30 s.
                builder.CommandTimeout = o.BusyTimeoutSeconds;
            }

            if (!o.ConnectionString.Contains("Auto Prepare", StringComparison.OrdinalIgnoreCase)
                && !o.ConnectionString.Contains("AutoPrepare", StringComparison.OrdinalIgnoreCase))
            {
                // The same few statements run all day: let Npgsql keep them prepared on each pooled
                // connection instead of parsing and planning them on every call.
                builder.MaxAutoPrepare = 64;
            }

            postgres = NpgsqlDataSource.Create(builder.ConnectionString);
            Description = $"PostgreSQL {builder.Database} on {builder.Host}:{builder.Port}";
            return;
        }

        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(o.Path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        sqliteConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = o.Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = o.BusyTimeoutSeconds,
        }.ToString();
        DatabasePath = System.IO.Path.GetFullPath(o.Path);
        Description = DatabasePath;
    }

    /// <summary>The SQLite file; null on PostgreSQL.</summary>
    public string? DatabasePath { get; }

    /// <summary>Where the data lives, for banners and logs (never the password).</summary>
    public string Description { get; }

    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        if (postgres is not null)
        {
            return await postgres.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }

        var connection = new SqliteConnection(sqliteConnectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        // synchronous and foreign_keys are settings of the native connection, which the pool keeps open
        // and hands out again: set them once per native handle, not as extra statements on every operation.
        if (connection.Handle is { } handle && !Configured.TryGetValue(handle, out _))
        {
            using var pragma = connection.CreateCommand();
            pragma.CommandText = $"PRAGMA synchronous={synchronous}; PRAGMA foreign_keys=ON;";
            await pragma.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            Configured.AddOrUpdate(handle, this);
        }

        return connection;
    }

    /// <summary>Run once at start-up: on SQLite the settings that persist in the file (WAL); on PostgreSQL the collation check.</summary>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        if (postgres is not null)
        {
            await RequireByteOrderAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        // Held while this process may use the file, so that a restore refuses to replace it under us.
        fileLock ??= DatabaseFileLock.Shared(DatabasePath!);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL;";
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Refuses a PostgreSQL database whose default collation does not compare bytes: username prefix
    /// searches (<c>username_key &gt;= prefix AND &lt; next prefix</c>) would silently miss users there.
    /// The check asks for the behaviour itself, so it holds whatever collation provider the server has.
    /// </summary>
    private async Task RequireByteOrderAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT 'B' < 'a' AND 'a-b' < 'a_b'";
        if (await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not true)
        {
            throw new InvalidOperationException(
                "the PostgreSQL database must use the C collation (username searches compare bytes): " +
                "CREATE DATABASE … TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'");
        }
    }

    public async ValueTask DisposeAsync()
    {
        fileLock?.Dispose();
        if (postgres is not null)
        {
            await postgres.DisposeAsync().ConfigureAwait(false);
        }
    }
}
