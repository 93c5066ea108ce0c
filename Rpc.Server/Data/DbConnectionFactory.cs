using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Rpc.Server.Data;

/// <summary>
/// Opens connections, one per operation (SQLite connections are not thread-safe; the pool makes
/// opening cheap). The SQLite-specific settings live here and in <see cref="SqlDialect"/> only.
/// </summary>
public sealed class DbConnectionFactory
{
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<SQLitePCL.sqlite3, DbConnectionFactory> Configured = new();
    private readonly string connectionString;
    private readonly string synchronous;

    static DbConnectionFactory()
    {
        // Columns are snake_case, row records PascalCase.
        Dapper.DefaultTypeMap.MatchNamesWithUnderscores = true;
    }

    public DbConnectionFactory(IOptions<DatabaseOptions> options)
    {
        var o = options.Value;
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(o.Path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = o.Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = o.BusyTimeoutSeconds,
        }.ToString();
        synchronous = o.Synchronous;
        DatabasePath = System.IO.Path.GetFullPath(o.Path);
    }

    public string DatabasePath { get; }

    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(connectionString);
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

    /// <summary>Settings that persist in the database file itself; run once at start-up.</summary>
    public async Task InitializeFileAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL;";
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
