using Rpc.Contracts.Gateway;
using Rpc.Contracts.Protocol;
using Rpc.Server.Dispatch;

namespace Rpc.Server.Services;

/// <summary>The <c>gateway.*</c> methods: resuming a session and staff event subscriptions.</summary>
public sealed class GatewayService(CallContextAccessor callContext) : IGatewayApi
{
    public Task<ResumeResult> ResumeAsync(string sessionId, long seq, CancellationToken cancellationToken = default)
    {
        var context = callContext.Current;
        var connection = context.Origin.Connection ?? throw RpcException.App(ErrorData.WebSocketOnly);
        var replayed = connection.Resume(sessionId, seq, context.Token!, context.RequireCaller())
            ?? throw RpcException.App(ErrorData.CannotResume);
        return Task.FromResult(new ResumeResult { SessionId = sessionId, Replayed = replayed });
    }

    public Task<bool> StaffEventsAsync(bool enabled, CancellationToken cancellationToken = default)
    {
        var connection = callContext.Current.Origin.Connection ?? throw RpcException.App(ErrorData.WebSocketOnly);
        return Task.FromResult(connection.SetStaffEvents(enabled));
    }
}
