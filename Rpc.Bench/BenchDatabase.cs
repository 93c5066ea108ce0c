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
        await new MigrationRunner(factory, TimeProvider.System, Microsoft.Extensions.Options.Options.Create(new DatabaseOptions()), NullLogger<MigrationRunner>.Instance).ApplyAsync(cancellationToken);
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

/// <summary>Sessions, staff and guilds inserted directly, so the bench needs no Argon2 per user and knows every token.</summary>
public static class BenchFixtures
{
    /// <summary>The token of bench user <paramref name="i"/>'s session: 43 base64url characters derived from <paramref name="i"/>, like a real token.</summary>
    public static string Token(int i) =>
        System.Buffers.Text.Base64Url.EncodeToString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes("bench-session-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture))));

    /// <summary>One session with token <see cref="Token"/>(i) for each user <c>user{i}</c> (id i + 1), i from <paramref name="from"/> to <paramref name="to"/> (exclusive).</summary>
    public static void AddSessions(string path, int from, int to) =>
        Batch(path, "INSERT INTO sessions (id, user_id, token_hash, created_at, last_used_at) VALUES ($a, $a, $b, $now, $now)", from, to,
            i => (i + 1L, Rpc.Server.Security.TokenService.Hash(Token(i))));

    /// <summary>A guild <paramref name="guildId"/> owned by user id 1 whose members are users <c>user{from}</c>…<c>user{to - 1}</c>.</summary>
    public static void AddGuild(string path, long guildId, int from, int to)
    {
        Execute(path, $"INSERT INTO guilds (id, name, owner_id, created_at) VALUES ({guildId}, 'bench guild', 1, 0) ON CONFLICT DO NOTHING");
        Batch(path, $"INSERT INTO guild_members (guild_id, user_id, joined_at) VALUES ({guildId}, $a, $now)", from, to, i => (i + 1L, null));
    }

    /// <summary>Inserts a staff user (flags bit 0) with id <paramref name="id"/> and a session with token <see cref="Token"/>(id); returns the token.</summary>
    public static string AddStaff(string path, int id, string passwordHash)
    {
        using var connection = Open(path);
        using var insert = connection.CreateCommand();
        insert.CommandText = """
            INSERT INTO users (id, username, username_key, username_claim, discriminator, display_name, flags, password_hash, created_at)
            VALUES ($id, 'benchstaff', 'benchstaff', 'benchstaff', '0001', 'benchstaff', 1, $hash, 0);
            INSERT INTO sessions (id, user_id, token_hash, created_at, last_used_at) VALUES ($id, $id, $token, $now, $now);
            """;
        // A session made now: one made at time 0 is long past Sessions:AbsoluteDays and refused.
        insert.Parameters.AddWithValue("$now", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        insert.Parameters.AddWithValue("$id", (long)id);
        insert.Parameters.AddWithValue("$hash", passwordHash);
        insert.Parameters.AddWithValue("$token", Rpc.Server.Security.TokenService.Hash(Token(id)));
        insert.ExecuteNonQuery();
        return Token(id);
    }

    private static SqliteConnection Open(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, DefaultTimeout = 30 }.ToString());
        connection.Open();
        return connection;
    }

    private static void Execute(string path, string sql)
    {
        using var connection = Open(path);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static void Batch(string path, string sql, int from, int to, Func<int, (long A, string? B)> row)
    {
        using var connection = Open(path);
        using var transaction = connection.BeginTransaction();
        using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = sql;
        var a = insert.Parameters.Add("$a", SqliteType.Integer);
        var b = sql.Contains("$b", StringComparison.Ordinal) ? insert.Parameters.Add("$b", SqliteType.Text) : null;
        insert.Parameters.AddWithValue("$now", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        insert.Prepare();
        for (var i = from; i < to; i++)
        {
            var (va, vb) = row(i);
            a.Value = va;
            if (b is not null)
            {
                b.Value = vb;
            }

            insert.ExecuteNonQuery();
        }

        transaction.Commit();
    }
}
