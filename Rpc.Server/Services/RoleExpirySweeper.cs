using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Microsoft.Extensions.Options;
using Rpc.Contracts.Roles;
using Rpc.Server.Audit;
using Rpc.Server.Data;
using Rpc.Server.Operations;

namespace Rpc.Server.Services;

/// <summary>The role expiry sweeper's settings (configuration section <c>Roles</c>).</summary>
public sealed class RoleExpiryOptions
{
    public const string Section = "Roles";

    /// <summary>How often expired roles are deleted, in seconds. Default 60.</summary>
    [Range(1, 86_400)]
    public int SweepIntervalSeconds { get; set; } = 60;
}

/// <summary>
/// Deletes expired user roles on a timer of the injected <see cref="TimeProvider"/>: one audit
/// record per removal (no actor) in the deleting transaction, then a <c>USER_ROLE_REMOVE</c> event
/// with reason <c>expired</c> to the user and to staff. Reads never show expired roles anyway; the
/// sweeper is what tells the role-sync bot and keeps the table small.
/// </summary>
public sealed class RoleExpirySweeper(
    DbConnectionFactory connections,
    AuditLog audit,
    UserRoleEvents events,
    TimeProvider clock,
    IOptions<RoleExpiryOptions> options) : ISweep
{
    private const int BatchSize = 200;

    public string Name => "Role expiry sweep";

    public TimeSpan Interval => TimeSpan.FromSeconds(options.Value.SweepIntervalSeconds);

    /// <summary>Deletes every role expired by now, in batches; returns how many were removed.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var total = 0;
        while (true)
        {
            var now = clock.NowMilliseconds();
            var removed = new List<UserRoleEvent>();
            int found;
            await using (var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false))
            await using (var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false))
            {
                var expired = await RoleRepository.ListExpiredAsync(connection, transaction, now, BatchSize, cancellationToken).ConfigureAwait(false);
                found = expired.Count;
                foreach (var row in expired)
                {
                    if (!await RoleRepository.DeleteExpiredAsync(connection, transaction, row.UserId, row.RoleId, now, cancellationToken).ConfigureAwait(false))
                    {
                        continue;
                    }

                    var role = RoleMapper.ToUserRole(row);
                    await audit.RecordAsync(connection, transaction, null, DiscordRolesService.ExpireAction, "user",
                        row.UserId.ToString(CultureInfo.InvariantCulture), role, null, cancellationToken).ConfigureAwait(false);
                    removed.Add(new UserRoleEvent { UserId = row.UserId, Role = role, Reason = UserRoleEvents.ReasonExpired });
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }

            foreach (var payload in removed)
            {
                events.Publish(UserRoleEvents.Remove, payload);
            }

            total += removed.Count;
            if (found < BatchSize)
            {
                return total;
            }
        }
    }
}
