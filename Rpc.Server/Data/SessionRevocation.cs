using System.Data.Common;
using Dapper;

namespace Rpc.Server.Data;

/// <summary>Session changes that run inside another aggregate's transaction (deleting a user).</summary>
public static class SessionRevocation
{
    /// <summary>Revokes every live session of a user; returns how many.</summary>
    public static Task<int> RevokeAllAsync(DbConnection connection, DbTransaction transaction, long userId, long now, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "UPDATE sessions SET revoked_at = @now WHERE user_id = @userId AND revoked_at IS NULL",
            new { userId, now }, transaction, cancellationToken: cancellationToken));
}
