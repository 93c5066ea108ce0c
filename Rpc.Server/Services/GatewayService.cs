using Rpc.Contracts.Gateway;
using Rpc.Contracts.Protocol;
using Rpc.Server.Dispatch;
using Rpc.Server.Gateway;
using Rpc.Server.Security;
using Rpc.Server.Errors;

namespace Rpc.Server.Services;

/// <summary>The <c>gateway.*</c> methods: resuming a session and staff event subscriptions.</summary>
public sealed class GatewayService(CallContextAccessor callContext, Authenticator authenticator, GatewayHub gateway) : IGatewayApi
{
    /// <summary>
    /// Checks the call's token itself (the method is open to anyone) so that a revoked token gets its
    /// own error telling the client to stop; the session's own token is checked again as well, since
    /// the connection goes on with it. No refusal changes the session.
    /// </summary>
    public async Task<ResumeResult> ResumeAsync(string sessionId, long seq, CancellationToken cancellationToken = default)
    {
        var context = callContext.Current;
        var connection = context.Origin.Connection ?? throw ServiceException.Refused(ErrorData.WebSocketOnly);
        if (connection.IsIdentified)
        {
            throw ServiceException.Refused(ErrorData.AlreadyIdentified);
        }

        var caller = await AuthenticateAsync(context.Token ?? throw ServiceException.Refused(ErrorData.AuthenticationRequired), cancellationToken).ConfigureAwait(false);
        var session = gateway.Find(sessionId, caller.UserId) ?? throw ServiceException.Refused(ErrorData.ResumeUnknownSession);
        if (session.Token != context.Token)
        {
            await AuthenticateAsync(session.Token, cancellationToken).ConfigureAwait(false);
        }

        var attempt = connection.Resume(session, seq);
        return attempt.Outcome switch
        {
            ResumeOutcome.Resumed => new ResumeResult { SessionId = sessionId, Replayed = attempt.Replayed },
            null => throw ServiceException.Refused(ErrorData.AlreadyIdentified),
            ResumeOutcome.SeqAhead => throw ServiceException.Refused(ErrorData.ResumeSeqAhead),
            ResumeOutcome.EventsGone => throw ServiceException.Refused(ErrorData.ResumeEventsGone),
            _ => throw ServiceException.Refused(ErrorData.ResumeEventsGone),
        };
    }

    public Task<bool> StaffEventsAsync(bool enabled, CancellationToken cancellationToken = default)
    {
        var connection = callContext.Current.Origin.Connection ?? throw ServiceException.Refused(ErrorData.WebSocketOnly);
        return Task.FromResult(connection.SetStaffEvents(enabled));
    }

    private async Task<Caller> AuthenticateAsync(string token, CancellationToken cancellationToken)
    {
        try
        {
            return await authenticator.AuthenticateAsync(token, cancellationToken).ConfigureAwait(false);
        }
        catch (ServiceException e) when (e.ErrorData == ErrorData.InvalidToken)
        {
            throw ServiceException.Refused(ErrorData.ResumeTokenRevoked);
        }
    }
}
