using System.Globalization;
using Rpc.Contracts.Users;
using Rpc.Server.Audit;
using Rpc.Server.Data;
using Rpc.Server.Events;
using Rpc.Contracts.Gateway;

namespace Rpc.Server.Services;

/// <summary>What granting or removing the Staff flag did.</summary>
public enum StaffChange
{
    /// <summary>No user has that name.</summary>
    UnknownUser,

    /// <summary>The flag changed.</summary>
    Changed,

    /// <summary>The user already had the state asked for.</summary>
    Unchanged,
}

/// <summary>
/// Grants and removes the Staff flag: the bootstrap the <c>manage</c> command line offers, since the
/// admin API itself never changes it (seed 003). Audited with the system (null) as the actor; the user and its
/// observers get USER_UPDATE, as for any flag change.
/// </summary>
public sealed class StaffRoster(DbConnectionFactory connections, AuditLog audit, IEventBus events)
{
    public async Task<(StaffChange Change, User? User)> SetStaffAsync(string username, bool staff, CancellationToken cancellationToken)
    {
        var key = AccountRules.TryKey(username);
        if (key is null)
        {
            return (StaffChange.UnknownUser, null);
        }

        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        var before = await UserAdministration.FindByUsernameAsync(connection, transaction, key, cancellationToken).ConfigureAwait(false);
        if (before is null)
        {
            return (StaffChange.UnknownUser, null);
        }

        if (!await UserAdministration.SetStaffAsync(connection, transaction, before.Id, staff, cancellationToken).ConfigureAwait(false))
        {
            return (StaffChange.Unchanged, UserMapper.ToUser(before));
        }

        var after = UserMapper.ToUser((await UserAdministration.FindByIdAsync(connection, transaction, before.Id, cancellationToken).ConfigureAwait(false))!);
        await audit.RecordAsync(
            connection, transaction, null, staff ? "user.staff.grant" : "user.staff.revoke", "user",
            before.Id.ToString(CultureInfo.InvariantCulture), UserMapper.ToUser(before), after, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        events.Publish(new DispatchEvent(GatewayEvents.UserUpdate, after, new EventAudience.UserAndObservers(before.Id)));
        return (StaffChange.Changed, after);
    }

    /// <summary>The live user with this username (any case), or null.</summary>
    public async Task<User?> FindAsync(string username, CancellationToken cancellationToken)
    {
        if (AccountRules.TryKey(username) is not { } key)
        {
            return null;
        }

        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var row = await UserAdministration.FindByUsernameAsync(connection, null, key, cancellationToken).ConfigureAwait(false);
        return row is null ? null : UserMapper.ToUser(row);
    }

    public async Task<IReadOnlyList<User>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return (await UserAdministration.ListStaffAsync(connection, cancellationToken).ConfigureAwait(false)).Select(r => UserMapper.ToUser(r)).ToArray();
    }
}
