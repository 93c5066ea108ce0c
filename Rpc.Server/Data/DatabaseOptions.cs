using System.ComponentModel.DataAnnotations;

namespace Rpc.Server.Data;

/// <summary>Storage settings (configuration section <c>Database</c>).</summary>
public sealed class DatabaseOptions
{
    public const string Section = "Database";

    /// <summary>The SQLite file. Default <c>data/rpc.db</c>, relative to the working directory.</summary>
    [Required]
    public string Path { get; set; } = "data/rpc.db";

    /// <summary>
    /// SQLite <c>synchronous</c> mode: FULL (default) syncs the WAL on every commit, so an acknowledged
    /// write survives power loss; NORMAL survives a process crash but may lose the last commits on power loss.
    /// </summary>
    [RegularExpression("^(FULL|NORMAL)$")]
    public string Synchronous { get; set; } = "FULL";

    /// <summary>How long a statement waits for a lock before failing, in seconds. Default 5.</summary>
    [Range(1, 60)]
    public int BusyTimeoutSeconds { get; set; } = 5;
}
