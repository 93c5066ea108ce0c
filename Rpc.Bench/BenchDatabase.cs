using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Rpc.Server.Data;

namespace Rpc.Bench;

/// <summary>
/// Builds the benchmark database fast: the server's own migrations, then users <c>user0</c>…
/// inserted directly with one prepared statement in transactions of 50,000 rows, all sharing one
/// password hash computed once (hashing each would take hours of Argon2). The rows are what
/// users.create writes, so look-ups and logins see the same indexes as in production.
/// </summary>
public static class BenchDatabase
{
    private const int BatchSize = 50_000;

    public static async Task CreateAsync(string path, CancellationToken cancellationToken)
    {
        var factory = new DbConnectionFactory(Options.Create(new DatabaseOptions { Path = path, Synchronous = "NORMAL" }));
        await new MigrationRunner(factory, TimeProvider.System, NullLogger<MigrationRunner>.Instance).ApplyAsync(cancellationToken);
    }

    /// <summary>Inserts users numbered <paramref name="from"/> to <paramref name="to"/> (exclusive).</summary>
    public static TimeSpan AddUsers(string path, int from, int to, string passwordHash)
    {
        var watch = Stopwatch.StartNew();
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        using (var pragma = connection.CreateCommand())
        {
            // Only for the bulk load: a crash here just means loading again.
            pragma.CommandText = "PRAGMA synchronous=OFF; PRAGMA cache_size=-200000;";
            pragma.ExecuteNonQuery();
        }

        using var insert = connection.CreateCommand();
        insert.CommandText = """
            INSERT INTO users (id, username, username_key, username_claim, discriminator, display_name, flags, password_hash, created_at)
            VALUES ($id, $name, $name, $name, '0001', $name, 0, $hash, $now)
            """;
        var id = insert.Parameters.Add("$id", SqliteType.Integer);
        var name = insert.Parameters.Add("$name", SqliteType.Text);
        insert.Parameters.AddWithValue("$hash", passwordHash);
        insert.Parameters.AddWithValue("$now", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        for (var start = from; start < to; start += BatchSize)
        {
            using var transaction = connection.BeginTransaction();
            insert.Transaction = transaction;
            insert.Prepare();
            for (var i = start; i < Math.Min(to, start + BatchSize); i++)
            {
                id.Value = i + 1L;
                name.Value = Username(i);
                insert.ExecuteNonQuery();
            }

            transaction.Commit();
        }

        using (var checkpoint = connection.CreateCommand())
        {
            checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
            checkpoint.ExecuteNonQuery();
        }

        return watch.Elapsed;
    }

    public static string Username(int i) => "user" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
