using System.Globalization;
using System.Security.Cryptography;
using Rpc.Contracts.Admin;
using Rpc.Contracts.Users;
using Rpc.Server.Audit;
using Rpc.Server.Data;
using Rpc.Server.Errors;
using Rpc.Server.Events;
using Rpc.Contracts.Gateway;

namespace Rpc.Server.Services;

/// <summary>
/// The soft delete of seed 003, one path for staff (<c>admin.users.delete</c>) and users deleting
/// themselves (<c>users.delete</c>), so both keep the same rules and send the same events: the name is
/// released, the row is cleared and locked, every <see cref="IUserDeletionStep"/> runs in the same
/// transaction, an audit record is written, and USER_UPDATE goes to the user and its observers.
/// </summary>
public sealed class AccountDeletion(
    DbConnectionFactory connections,
    IEnumerable<IUserDeletionStep> deletionSteps,
    AuditLog audit,
    IEventBus events,
    UsernameCheckCache checks,
    TimeProvider clock)
{
    private const string DeletedUsernamePrefix = "Deleted User ";

    /// <summary>Not a PHC string, so no password ever verifies against it.</summary>
    private const string LockedPasswordHash = "!deleted";

    private readonly IUserDeletionStep[] deletionSteps = deletionSteps.ToArray();

    /// <summary>
    /// Deletes <paramref name="userId"/> on behalf of <paramref name="actorId"/>, and in the same
    /// transaction every bot it owns; a staff account is refused with <paramref name="staffRefusal"/>.
    /// </summary>
    public async Task<UserDeleteResult> DeleteAsync(long userId, long actorId, string staffRefusal, CancellationToken cancellationToken)
    {
        // A random name can collide with another deleted user's (same hex and discriminator); the
        // unique index refuses it and the whole delete is tried again with new names.
        for (var attempt = 1; ; attempt++)
        {
            var now = clock.NowMilliseconds();
            await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
            var before = await UserAdministration.FindByIdAsync(connection, transaction, userId, cancellationToken).ConfigureAwait(false)
                ?? throw ServiceException.Refused(Rpc.Contracts.Protocol.ErrorData.UserNotFound(userId));
            if (before.DeletedAt is not null)
            {
                throw ServiceException.Refused(Rpc.Contracts.Protocol.ErrorData.UserDeleted(userId));
            }

            if ((before.Flags & (1L << (int)UserFlag.Staff)) != 0)
            {
                throw ServiceException.Refused(staffRefusal);
            }

            var messages = new List<BusMessage>();
            var deleted = new List<UserDeleteResult>();
            var done = await TrySoftDeleteAsync(connection, transaction, before, actorId, now, messages, deleted, cancellationToken).ConfigureAwait(false);
            foreach (var bot in await BotRepository.ListLiveAsync(connection, transaction, userId, cancellationToken).ConfigureAwait(false))
            {
                done = done && await TrySoftDeleteAsync(connection, transaction, bot, actorId, now, messages, deleted, cancellationToken).ConfigureAwait(false);
            }

            if (!done)
            {
                if (attempt < 5)
                {
                    continue;
                }

                throw new InvalidOperationException($"no free deleted-user name for {userId} or its bots after {attempt} attempts");
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            checks.Invalidate();

            foreach (var message in messages)
            {
                events.Publish(message);
            }

            foreach (var result in deleted)
            {
                events.Publish(new DispatchEvent(GatewayEvents.UserUpdate, result.New, new EventAudience.UserAndObservers(result.New.Id)));
            }

            return deleted[0];
        }
    }

    /// <summary>Soft-deletes one account in the caller's transaction and runs every deletion step for it; false when its new name collided.</summary>
    private async Task<bool> TrySoftDeleteAsync(
        System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction, UserRow before, long actorId, long now,
        List<BusMessage> messages, List<UserDeleteResult> deleted, CancellationToken cancellationToken)
    {
        var userId = before.Id;
        var name = DeletedUsernamePrefix + RandomNumberGenerator.GetHexString(8, lowercase: true);
        if (!await UserAdministration.TrySoftDeleteAsync(connection, transaction, userId, name, AccountRules.KeyOf(name), LockedPasswordHash, now, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        foreach (var step in deletionSteps)
        {
            messages.AddRange(await step.RunAsync(connection, transaction, userId, now, cancellationToken).ConfigureAwait(false));
        }

        var after = await UserAdministration.FindByIdAsync(connection, transaction, userId, cancellationToken).ConfigureAwait(false);
        var result = new UserDeleteResult { Old = UserMapper.ToUser(before), New = UserMapper.ToUser(after!) };
        await audit.RecordAsync(connection, transaction, actorId, "user.delete", "user", userId.ToString(CultureInfo.InvariantCulture), result.Old, result.New, cancellationToken).ConfigureAwait(false);
        deleted.Add(result);
        return true;
    }
}
