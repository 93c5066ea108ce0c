using System.Data.Common;
using Rpc.Server.Data;
using Rpc.Server.Gateway;

namespace Rpc.Server.Services;

/// <summary>
/// One part of soft-deleting a user, run inside the delete's transaction (so it commits with the
/// delete or not at all). Each returns the bus messages to publish once the delete has committed.
/// Features that keep per-user state (sessions here; guild and group DM membership) register one:
/// <c>services.AddSingleton&lt;IUserDeletionStep, TheirStep&gt;()</c>.
/// </summary>
public interface IUserDeletionStep
{
    Task<IReadOnlyList<BusMessage>> RunAsync(DbConnection connection, DbTransaction transaction, long userId, long now, CancellationToken cancellationToken);
}

/// <summary>A deleted user's sessions end and its gateway connections close (code 4005).</summary>
public sealed class EndSessionsOnUserDeletion : IUserDeletionStep
{
    /// <summary>The WebSocket close code of connections closed because their account was deleted.</summary>
    public const int AccountDeletedCloseCode = 4005;

    public async Task<IReadOnlyList<BusMessage>> RunAsync(DbConnection connection, DbTransaction transaction, long userId, long now, CancellationToken cancellationToken)
    {
        await SessionRevocation.RevokeAllAsync(connection, transaction, userId, now, cancellationToken).ConfigureAwait(false);
        return [new CloseConnections(userId, null, AccountDeletedCloseCode, "account deleted")];
    }
}
