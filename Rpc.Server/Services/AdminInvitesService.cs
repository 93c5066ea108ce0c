using System.Globalization;
using System.Security.Cryptography;
using Rpc.Contracts.Admin;
using Rpc.Contracts.Protocol;
using Rpc.Server.Audit;
using Rpc.Server.Data;
using Rpc.Server.Errors;

namespace Rpc.Server.Services;

/// <summary>The <c>admin.invites.*</c> methods, and invite creation for the <c>manage</c> command line.</summary>
public sealed class AdminInvitesService(
    InstanceInviteRepository invites,
    DbConnectionFactory connections,
    SnowflakeGenerator ids,
    AuditLog audit,
    ServiceCallAccessor call,
    TimeProvider clock) : IAdminInvitesApi
{
    private const int CodeLength = 10;
    private const string CodeAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

    public async Task<IReadOnlyList<InstanceInvite>> ListAsync(int? limit = null, string? after = null, CancellationToken cancellationToken = default)
    {
        var count = Paging.Limit(limit);
        long? afterId = null;
        if (after is not null)
        {
            afterId = (await invites.FindAsync(after, cancellationToken).ConfigureAwait(false))?.Id
                ?? throw ServiceException.Refused(ErrorData.InviteNotFound(after));
        }

        var rows = await invites.ListAsync(afterId, count, cancellationToken).ConfigureAwait(false);
        return rows.Select(ToInvite).ToArray();
    }

    public Task<InstanceInvite> CreateAsync(int maxUses, CancellationToken cancellationToken = default) =>
        CreateAsync(call.Current.RequireCaller().UserId, maxUses, cancellationToken);

    /// <summary>Creates an invite for <paramref name="actorId"/> (null: the system, i.e. the command line), audited.</summary>
    public async Task<InstanceInvite> CreateAsync(long? actorId, int maxUses, CancellationToken cancellationToken)
    {
        if (maxUses < -1)
        {
            throw ServiceException.Refused(ErrorData.MaxUsesRange);
        }

        var row = new InstanceInviteRow
        {
            Id = ids.Next(),
            Code = RandomNumberGenerator.GetString(CodeAlphabet, CodeLength),
            CreatedAt = clock.NowMilliseconds(),
            CreatedBy = actorId,
            MaxUses = maxUses,
        };
        var invite = ToInvite(row);
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        await InstanceInviteRepository.InsertAsync(connection, transaction, row, cancellationToken).ConfigureAwait(false);
        await audit.RecordAsync(connection, transaction, actorId, "invite.create", "invite", row.Code, null, invite, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return invite;
    }

    public async Task<bool> DeleteAsync(string code, CancellationToken cancellationToken = default)
    {
        var actor = call.Current.RequireCaller().UserId;
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        var deleted = await InstanceInviteRepository.DeleteAsync(connection, transaction, code, cancellationToken).ConfigureAwait(false)
            ?? throw ServiceException.Refused(ErrorData.InviteNotFound(code));
        await audit.RecordAsync(connection, transaction, actor, "invite.delete", "invite", code, ToInvite(deleted), null, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    private static InstanceInvite ToInvite(InstanceInviteRow row) => new()
    {
        Code = row.Code,
        CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(row.CreatedAt).UtcDateTime,
        MaxUses = checked((int)row.MaxUses),
        Uses = checked((int)row.Uses),
    };
}
