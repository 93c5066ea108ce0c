using Microsoft.Extensions.Options;
using Rpc.Contracts.Protocol;
using Rpc.Server.Data;
using Rpc.Server.Errors;

namespace Rpc.Server.Security;

/// <summary>
/// <c>Security:RequireStaffMfa</c>: staff without two-factor login on are refused every <c>admin.*</c>
/// and <c>discord.*</c> method (whatever each method's own access rule), so a stolen staff password
/// alone reaches none of the powers staff hold. Off by default; costs a look-up only for staff callers
/// of those methods when on.
/// </summary>
public sealed class StaffMfaPolicy(DbConnectionFactory connections, IOptions<MfaOptions> options)
{
    public async ValueTask EnsureAsync(string methodName, Caller caller, CancellationToken cancellationToken)
    {
        if (!options.Value.RequireStaffMfa || !caller.IsStaff
            || !(methodName.StartsWith("admin.", StringComparison.Ordinal) || methodName.StartsWith("discord.", StringComparison.Ordinal)))
        {
            return;
        }

        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        if (!await MfaRepository.IsEnabledAsync(connection, caller.UserId, cancellationToken).ConfigureAwait(false))
        {
            throw ServiceException.Refused(ErrorData.StaffMfaRequired);
        }
    }
}
