using System.ComponentModel.DataAnnotations;

namespace Rpc.Server.Data;

/// <summary>Storage settings (configuration section <c>Database</c>).</summary>
public sealed class DatabaseOptions : IValidatableObject
{
    public const string Section = "Database";

    /// <summary>
    /// <c>sqlite</c> (default): an embedded file at <see cref="Path"/>. <c>postgres</c>: the PostgreSQL
    /// database of <see cref="ConnectionString"/>, for several servers on one database.
    /// </summary>
    [RegularExpression(@"^(sqlite|postgres)\z")]
    public string Provider { get; set; } = "sqlite";

    /// <summary>
    /// The Npgsql connection string when <see cref="Provider"/> is <c>postgres</c>, e.g.
    /// <c>Host=db;Database=chat;Username=chat;Password=…</c>. The database must use the C collation
    /// (<c>CREATE DATABASE chat LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0</c>): username prefix
    /// searches compare bytes, as SQLite does.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>The SQLite file. Default <c>data/rpc.db</c>, relative to the working directory.</summary>
    [Required]
    public string Path { get; set; } = "data/rpc.db";

    /// <summary>
    /// SQLite <c>synchronous</c> mode: FULL (default) syncs the WAL on every commit, so an acknowledged
    /// write survives power loss; NORMAL survives a process crash but may lose the last commits on power loss.
    /// </summary>
    [RegularExpression(@"^(FULL|NORMAL)\z")]
    public string Synchronous { get; set; } = "FULL";

    /// <summary>
    /// How long a statement waits for a lock before failing, in seconds (SQLite's busy timeout; on PostgreSQL
    /// the command timeout, unless the connection string sets one). The call then gets
    /// <c>ErrorData.DatabaseBusy</c>. Default 5.
    /// </summary>
    [Range(1, 60)]
    public int BusyTimeoutSeconds { get; set; } = 5;

    /// <summary>
    /// SQLite: before applying a migration to a database that already has data, write a copy beside it
    /// (<c>PATH.before-NNNN_name-TIME.bak</c>, by <c>VACUUM INTO</c>). Default true.
    /// </summary>
    public bool BackupBeforeMigrations { get; set; } = true;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Provider == "postgres" && string.IsNullOrWhiteSpace(ConnectionString))
        {
            yield return new ValidationResult("Database:Provider is postgres, so Database:ConnectionString must be set", [nameof(ConnectionString)]);
        }
    }
}
