using System.Data.Common;
using Dapper;
using Npgsql;

namespace Rpc.Server.Data;

/// <summary>
/// The index that finds users by a substring of their username key (<c>admin.users.search</c>):
/// SQLite's FTS5 trigram tokenizer over <c>users.username_key</c> (an external-content table kept in
/// step by triggers), PostgreSQL's <c>pg_trgm</c> GIN index. Trigrams need 3 characters, so shorter
/// filters are matched as prefixes by the caller.
/// </summary>
public static class UsernameSearchIndex
{
    /// <summary>The shortest substring the trigram index can answer.</summary>
    public const int MinSubstringLength = 3;

    // case_sensitive 1: keys are already NFKC-normalized and lower-cased, so matching compares them as stored.
    private const string SqliteDdl = """
        CREATE VIRTUAL TABLE users_name_trigrams USING fts5(username_key, content='users', content_rowid='id', tokenize='trigram case_sensitive 1');
        INSERT INTO users_name_trigrams (users_name_trigrams) VALUES ('rebuild');
        CREATE TRIGGER users_name_trigrams_insert AFTER INSERT ON users BEGIN
            INSERT INTO users_name_trigrams (rowid, username_key) VALUES (new.id, new.username_key);
        END;
        CREATE TRIGGER users_name_trigrams_delete AFTER DELETE ON users BEGIN
            INSERT INTO users_name_trigrams (users_name_trigrams, rowid, username_key) VALUES ('delete', old.id, old.username_key);
        END;
        CREATE TRIGGER users_name_trigrams_update AFTER UPDATE OF username_key ON users BEGIN
            INSERT INTO users_name_trigrams (users_name_trigrams, rowid, username_key) VALUES ('delete', old.id, old.username_key);
            INSERT INTO users_name_trigrams (rowid, username_key) VALUES (new.id, new.username_key);
        END;
        """;

    // pg_trgm is a trusted extension (PostgreSQL 13+): a role with CREATE on the database may add it.
    private const string PostgresDdl = """
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
        CREATE INDEX users_username_trigrams ON users USING gin (username_key gin_trgm_ops);
        """;

    public static Task CreateAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(connection is NpgsqlConnection ? PostgresDdl : SqliteDdl, transaction: transaction, cancellationToken: cancellationToken));

    /// <summary>
    /// The ids of users whose key contains <paramref name="substring"/> (at least
    /// <see cref="MinSubstringLength"/> characters), in id order, one page. On SQLite a trigram phrase
    /// is exactly a substring match and FTS5 returns rowids in order, so a page reads only its rows.
    /// </summary>
    public static string PageOfIdsSql(DbConnection connection) => connection is NpgsqlConnection
        ? @"SELECT id FROM users WHERE id > @after AND username_key LIKE @pattern ESCAPE '\' ORDER BY id LIMIT @count OFFSET @offset"
        : "SELECT rowid FROM users_name_trigrams WHERE users_name_trigrams MATCH @phrase AND rowid > @after ORDER BY rowid LIMIT @count OFFSET @offset";

    /// <summary>The FTS5 phrase matching <paramref name="substring"/> literally (a double quote is doubled).</summary>
    public static string Phrase(string substring) => "\"" + substring.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>A LIKE pattern matching <paramref name="substring"/> literally anywhere (escape character <c>\</c>).</summary>
    public static string ContainsPattern(string substring) =>
        "%" + substring.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("%", @"\%", StringComparison.Ordinal).Replace("_", @"\_", StringComparison.Ordinal) + "%";
}
