using System.Data.Common;
using Dapper;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Rpc.Server.Data;

/// <summary>What differs between SQLite and PostgreSQL beyond the SQL the repositories share.</summary>
public static class SqlDialect
{
    // Any constant works: every write transaction takes the same lock.
    internal const long WriteLockKey = 0x7270632d77726974;

    /// <summary>Whether <paramref name="exception"/> is a unique-constraint violation (SQLite 2067/1555, PostgreSQL 23505).</summary>
    public static bool IsUniqueViolation(DbException exception) =>
        exception is SqliteException { SqliteExtendedErrorCode: 2067 or 1555 }
        || exception.SqlState == "23505";

    /// <summary>Whether <paramref name="exception"/> names the unique constraint or index <paramref name="name"/>.</summary>
    public static bool IsUniqueViolationOf(DbException exception, string name) =>
        IsUniqueViolation(exception) && exception.Message.Contains(name, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// <paramref name="column"/> is one of the list parameter <paramref name="parameter"/>: Dapper expands
    /// <c>IN @list</c> into one parameter per item on SQLite, but hands Npgsql the list as one array.
    /// </summary>
    public static string InList(DbConnection connection, string column, string parameter) =>
        connection is NpgsqlConnection ? $"{column} = ANY(@{parameter})" : $"{column} IN @{parameter}";

    /// <summary>
    /// Begins a write transaction that runs alone, as SQLite's <c>BEGIN IMMEDIATE</c> does: on PostgreSQL
    /// a transaction-scoped advisory lock serializes writers, so the services' read-then-write rules hold
    /// the same on both. Reads outside write transactions never wait.
    /// </summary>
    public static async Task<DbTransaction> BeginWriteAsync(this DbConnection connection, CancellationToken cancellationToken)
    {
        var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        if (connection is NpgsqlConnection)
        {
            await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_xact_lock(@WriteLockKey)", new { WriteLockKey }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        return transaction;
    }

    /// <summary>
    /// Runs a write that a unique index may refuse: the refusal is returned, not thrown, and the caller's
    /// transaction stays usable (PostgreSQL aborts a transaction on any error, so there the write runs
    /// under a savepoint that is rolled back on refusal).
    /// </summary>
    public static async Task<(int Rows, DbException? Refusal)> ExecuteUnlessDuplicateAsync(DbConnection connection, CommandDefinition command)
    {
        var savepoint = command.Transaction is NpgsqlTransaction transaction ? transaction : null;
        if (savepoint is not null)
        {
            await savepoint.SaveAsync("unique_write", command.CancellationToken).ConfigureAwait(false);
        }

        try
        {
            var rows = await connection.ExecuteAsync(command).ConfigureAwait(false);
            if (savepoint is not null)
            {
                await savepoint.ReleaseAsync("unique_write", command.CancellationToken).ConfigureAwait(false);
            }

            return (rows, null);
        }
        catch (DbException e) when (IsUniqueViolation(e))
        {
            if (savepoint is not null)
            {
                await savepoint.RollbackAsync("unique_write", command.CancellationToken).ConfigureAwait(false);
            }

            return (0, e);
        }
    }
}
