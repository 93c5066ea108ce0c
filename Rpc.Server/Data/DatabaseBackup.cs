using System.Diagnostics;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Rpc.Server.Data;

/// <summary>
/// <c>./run.sh manage backup PATH</c> and <c>restore PATH</c>. On SQLite a backup is <c>VACUUM INTO</c>:
/// one read transaction, so the copy is the database as of one commit, taken while the server keeps
/// writing (WAL readers never block writers); the copy is checked with <c>integrity_check</c>. On
/// PostgreSQL it runs <c>pg_dump</c> / <c>pg_restore</c> with the connection string's settings.
/// </summary>
public sealed class DatabaseBackup(DbConnectionFactory connections, IOptions<DatabaseOptions> options)
{
    private readonly DatabaseOptions database = options.Value;

    /// <summary>Writes a consistent copy of the database to <paramref name="destination"/>, which must not exist yet.</summary>
    public async Task<string> BackupAsync(string destination, CancellationToken cancellationToken)
    {
        destination = Path.GetFullPath(destination);
        if (File.Exists(destination))
        {
            throw new InvalidOperationException($"{destination} exists; choose a new file name (a backup never overwrites)");
        }

        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        if (database.Provider == "postgres")
        {
            await RunPostgresToolAsync("pg_dump", ["--format=custom", "--no-owner", "--file", destination], cancellationToken).ConfigureAwait(false);
            return $"wrote {destination} (pg_dump custom format; restore with ./run.sh manage restore {destination})";
        }

        if (!File.Exists(connections.DatabasePath))
        {
            throw new InvalidOperationException($"there is no database at {connections.DatabasePath}");
        }

        await using (var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false))
        {
            await CopyAsync(connection, destination, cancellationToken).ConfigureAwait(false);
        }

        var check = await IntegrityCheckAsync(destination, cancellationToken).ConfigureAwait(false);
        return check == "ok"
            ? $"wrote {destination} ({new FileInfo(destination).Length} bytes, integrity_check ok)"
            : throw new InvalidOperationException($"the copy at {destination} failed integrity_check: {check}");
    }

    /// <summary><c>VACUUM INTO</c> on an open SQLite connection (also the automatic backup before migrations).</summary>
    public static Task CopyAsync(System.Data.Common.DbConnection connection, string destination, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition("VACUUM INTO @destination", new { destination }, cancellationToken: cancellationToken));

    /// <summary>
    /// Replaces the database with <paramref name="source"/>, refusing while any server (or other command)
    /// has the database open. On SQLite the replaced file is kept beside it as <c>PATH.replaced-TIME</c>.
    /// </summary>
    public async Task<string> RestoreAsync(string source, TimeProvider clock, CancellationToken cancellationToken)
    {
        source = Path.GetFullPath(source);
        if (!File.Exists(source))
        {
            throw new InvalidOperationException($"{source} does not exist");
        }

        if (database.Provider == "postgres")
        {
            await using (var connection = (NpgsqlConnection)await connections.OpenAsync(cancellationToken).ConfigureAwait(false))
            {
                var others = await connection.ExecuteScalarAsync<long>(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()").ConfigureAwait(false);
                if (others > 0)
                {
                    throw new InvalidOperationException($"{others} other connection(s) use the database (a running server?); stop every server first");
                }
            }

            NpgsqlConnection.ClearAllPools();
            await RunPostgresToolAsync("pg_restore", ["--clean", "--if-exists", "--no-owner", "--single-transaction", source], cancellationToken).ConfigureAwait(false);
            return $"restored {source} into {connections.Description}";
        }

        var check = await IntegrityCheckAsync(source, cancellationToken).ConfigureAwait(false);
        if (check != "ok")
        {
            throw new InvalidOperationException($"{source} failed integrity_check ({check}); nothing was changed");
        }

        var target = connections.DatabasePath!;
        using var exclusive = DatabaseFileLock.TryExclusive(target)
            ?? throw new InvalidOperationException($"a running server (or another command) holds {target}; stop it first, then restore");
        var stamp = clock.GetUtcNow().ToString("yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var replaced = $"{target}.replaced-{stamp}";
        var staged = target + ".restoring";
        File.Copy(source, staged, overwrite: true);
        if (File.Exists(target))
        {
            // The old file keeps its WAL beside it: together they are the database as it was.
            File.Move(target, replaced);
            foreach (var suffix in new[] { "-wal", "-shm" })
            {
                if (File.Exists(target + suffix))
                {
                    File.Move(target + suffix, replaced + suffix);
                }
            }
        }

        File.Move(staged, target);
        return File.Exists(replaced) ? $"restored {source} into {target}; the replaced database is at {replaced}" : $"restored {source} into {target}";
    }

    private static async Task<string> IntegrityCheckAsync(string path, CancellationToken cancellationToken)
    {
        var builder = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false };
        await using var connection = new SqliteConnection(builder.ToString());
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteScalarAsync<string>("PRAGMA integrity_check").ConfigureAwait(false) ?? "no answer";
    }

    /// <summary>Runs pg_dump or pg_restore with the connection string's host, port, user, password and database.</summary>
    private async Task RunPostgresToolAsync(string tool, string[] arguments, CancellationToken cancellationToken)
    {
        var settings = new NpgsqlConnectionStringBuilder(database.ConnectionString);
        var info = new ProcessStartInfo(tool) { RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        if (tool == "pg_restore")
        {
            info.ArgumentList.Insert(0, "--dbname=" + settings.Database);
        }
        else
        {
            info.Environment["PGDATABASE"] = settings.Database;
        }

        info.Environment["PGHOST"] = settings.Host;
        info.Environment["PGPORT"] = settings.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (settings.Username is { } user)
        {
            info.Environment["PGUSER"] = user;
        }

        if (settings.Password is { } password)
        {
            info.Environment["PGPASSWORD"] = password;
        }

        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new InvalidOperationException(
                $"{tool} is not installed (Debian: apt-get install postgresql-client, the same major version as the server); " +
                $"or run it yourself: PGHOST={settings.Host} PGPORT={settings.Port} PGUSER={settings.Username} " +
                (tool == "pg_dump" ? $"pg_dump --format=custom --no-owner --file BACKUP {settings.Database}" : $"pg_restore --clean --if-exists --no-owner --single-transaction --dbname={settings.Database} BACKUP"));
        }

        using (process)
        {
            var errors = await process.StandardError.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"{tool} failed (exit {process.ExitCode}): {errors.Trim()}");
            }
        }
    }
}
