using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Rpc.Server.Data;

/// <summary>What differs between SQLite and PostgreSQL beyond the SQL the repositories share.</summary>
public static class SqlDialect
{
    /// <summary>Whether <paramref name="exception"/> is a unique-constraint violation (SQLite 2067/1555, PostgreSQL 23505).</summary>
    public static bool IsUniqueViolation(DbException exception) =>
        exception is SqliteException { SqliteExtendedErrorCode: 2067 or 1555 }
        || exception.SqlState == "23505";

    /// <summary>Whether <paramref name="exception"/> names the unique constraint or index <paramref name="name"/>.</summary>
    public static bool IsUniqueViolationOf(DbException exception, string name) =>
        IsUniqueViolation(exception) && exception.Message.Contains(name, StringComparison.OrdinalIgnoreCase);
}
