using System.Text.Json;
using Rpc.Contracts.Admin;
using Rpc.Server.Audit;

namespace Rpc.Server.Services;

/// <summary>The <c>admin.audit.list</c> method: the audit log, newest first.</summary>
public sealed class AdminAuditService(AuditLog audit) : IAdminAuditApi
{
    public async Task<IReadOnlyList<AuditEntry>> ListAsync(int? limit = null, long? before = null, CancellationToken cancellationToken = default)
    {
        var rows = await audit.ListAsync(before, Paging.Limit(limit), cancellationToken).ConfigureAwait(false);
        return rows.Select(r => new AuditEntry
        {
            Id = r.Id,
            ActorId = r.ActorId,
            Action = r.Action,
            TargetType = r.TargetType,
            TargetId = r.TargetId,
            Before = Parse(r.BeforeJson),
            After = Parse(r.AfterJson),
            CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(r.CreatedAt).UtcDateTime,
        }).ToArray();
    }

    private static JsonElement? Parse(string? json) => json is null ? null : JsonDocument.Parse(json).RootElement.Clone();
}
