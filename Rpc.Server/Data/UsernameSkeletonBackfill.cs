using System.Data.Common;
using Dapper;
using Rpc.Server.Text;

namespace Rpc.Server.Data;

/// <summary>
/// The code step of migration 0008: the confusable skeleton and its claim for every account that has
/// none yet, oldest first, so of two old accounts that look alike the older keeps the claim. The mode
/// of each row is read from the row itself (a <c>username_claim</c> means it was made with unique
/// usernames), so the step needs no configuration and gives the same result on every server.
/// </summary>
public static class UsernameSkeletonBackfill
{
    private const int BatchSize = 1000;

    /// <summary>Fills the skeletons in the caller's transaction; returns how many old accounts looked like an older one.</summary>
    public static async Task<int> RunAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        const string select = """
            SELECT id, username_key, discriminator, username_claim, deleted_at FROM users
            WHERE username_skeleton IS NULL AND id > @after ORDER BY id LIMIT @limit
            """;
        const string update = "UPDATE users SET username_skeleton = @Skeleton, skeleton_claim = @Claim WHERE id = @Id";
        var lookalikes = 0;
        var after = long.MinValue;
        while (true)
        {
            var rows = (await connection.QueryAsync<(long Id, string UsernameKey, string Discriminator, string? UsernameClaim, long? DeletedAt)>(
                new CommandDefinition(select, new { after, limit = BatchSize }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false)).AsList();
            foreach (var row in rows)
            {
                var skeleton = UsernameConfusables.Skeleton(row.UsernameKey);
                var claim = row.DeletedAt is not null ? null : UserRepository.SkeletonClaim(skeleton, row.Discriminator, row.UsernameClaim is not null);
                var (_, refusal) = await SqlDialect.ExecuteUnlessDuplicateAsync(
                    connection, new CommandDefinition(update, new SkeletonUpdate(row.Id, skeleton, claim), transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
                if (refusal is not null)
                {
                    lookalikes++;
                    await connection.ExecuteAsync(new CommandDefinition(update, new SkeletonUpdate(row.Id, skeleton, null), transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
                }
            }

            if (rows.Count < BatchSize)
            {
                return lookalikes;
            }

            after = rows[^1].Id;
        }
    }

    private sealed record SkeletonUpdate(long Id, string Skeleton, string? Claim);
}
