using Microsoft.Data.Sqlite;
using Npgsql;
using Rpc.Server.Errors;

namespace Rpc.Server.Data;

/// <summary>The database drivers' transient failures, classified here so that no layer above knows a driver.</summary>
public sealed class TransientDatabaseErrors : ITransientErrors
{
    /// <summary>
    /// Whether <paramref name="exception"/> means the database did not answer in time rather than that the
    /// request was wrong: SQLite busy or locked past the busy timeout; PostgreSQL unreachable, a statement
    /// cancelled by the command timeout, a lock not granted, a deadlock or serialization failure.
    /// </summary>
    public bool IsTransient(Exception exception) => exception switch
    {
        SqliteException sqlite => sqlite.SqliteErrorCode is 5 or 6,
        PostgresException postgres => postgres.SqlState is PostgresErrorCodes.QueryCanceled or PostgresErrorCodes.LockNotAvailable
            or PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.AdminShutdown
            or PostgresErrorCodes.CannotConnectNow || postgres.IsTransient,
        NpgsqlException npgsql => npgsql.IsTransient,
        _ => false,
    };
}
