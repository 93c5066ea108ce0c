using System.Data.Common;
using System.Globalization;
using Rpc.Contracts.Roles;
using Rpc.Server.Audit;
using Rpc.Server.Data;
using Rpc.Server.Events;

namespace Rpc.Server.Services;

/// <summary>
/// A deleted user's Discord link and live roles are removed, each with an audit record (no actor: the
/// deletion's own record names who deleted) and each role with a <c>USER_ROLE_REMOVE</c> (reason
/// <c>removed</c>) to staff, so the role-sync bot takes the Discord roles away too. Expired holds are
/// left to the <see cref="RoleExpirySweeper"/>, which reports them as expired.
/// </summary>
public sealed class UnlinkDiscordAndRolesOnUserDeletion(AuditLog audit) : IUserDeletionStep
{
    public async Task<IReadOnlyList<BusMessage>> RunAsync(DbConnection connection, DbTransaction transaction, long userId, long now, CancellationToken cancellationToken)
    {
        var key = userId.ToString(CultureInfo.InvariantCulture);
        var messages = new List<BusMessage>();
        var link = await DiscordAccountRepository.FindByUserAsync(connection, transaction, userId, cancellationToken).ConfigureAwait(false);
        if (link is not null && await DiscordAccountRepository.DeleteAsync(connection, transaction, userId, cancellationToken).ConfigureAwait(false))
        {
            await audit.RecordAsync(connection, transaction, null, DiscordLinker.UnlinkAction, "user", key, RoleMapper.ToDiscordAccount(link), null, cancellationToken).ConfigureAwait(false);
        }

        foreach (var held in await RoleRepository.ListHeldAsync(connection, transaction, userId, now, cancellationToken).ConfigureAwait(false))
        {
            var role = RoleMapper.ToUserRole(held);
            if (!await RoleRepository.RevokeAsync(connection, transaction, userId, role.Id, now, cancellationToken).ConfigureAwait(false))
            {
                continue;
            }

            await audit.RecordAsync(connection, transaction, null, DiscordRolesService.RemoveAction, "user", key, role, null, cancellationToken).ConfigureAwait(false);
            messages.AddRange(UserRoleEvents.For(UserRoleEvents.Remove, new UserRoleEvent { UserId = userId, Role = role, Reason = UserRoleEvents.ReasonRemoved }));
        }

        return messages;
    }
}
