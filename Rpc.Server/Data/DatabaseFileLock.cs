namespace Rpc.Server.Data;

/// <summary>
/// An advisory lock on <c>PATH.lock</c> beside a SQLite file (flock, through .NET's FileShare): every
/// server and <c>manage</c> command holds it shared while it has the database open, and a restore takes
/// it exclusively, so a restore refuses a database a running server holds and a server cannot start in
/// the middle of a restore. The kernel drops the lock when its process ends, however it ends.
/// </summary>
public sealed class DatabaseFileLock : IDisposable
{
    private readonly FileStream stream;

    private DatabaseFileLock(FileStream stream) => this.stream = stream;

    public static string PathFor(string databasePath) => databasePath + ".lock";

    /// <summary>Held by every process that uses the database; many at once.</summary>
    public static DatabaseFileLock Shared(string databasePath)
    {
        try
        {
            return new DatabaseFileLock(new FileStream(PathFor(databasePath), FileMode.OpenOrCreate, FileAccess.Read, FileShare.ReadWrite));
        }
        catch (IOException e)
        {
            throw new InvalidOperationException($"{databasePath} is being restored (./run.sh manage restore holds {PathFor(databasePath)}); start the server once it is done", e);
        }
    }

    /// <summary>Held by a restore; null when any other process holds the lock.</summary>
    public static DatabaseFileLock? TryExclusive(string databasePath)
    {
        try
        {
            return new DatabaseFileLock(new FileStream(PathFor(databasePath), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException)
        {
            return null;
        }
    }

    public void Dispose() => stream.Dispose();
}
