using Rpc.Contracts.Gateway;
using Rpc.Contracts.Protocol;
using Rpc.Server.Dispatch;
using Rpc.Server.Errors;
using Rpc.Server.Data;
using Rpc.Server.Security;
using Rpc.Server.Services;

namespace Rpc.Server.Gateway;

/// <summary>
/// The <c>gateway.*</c> methods: resuming a session, staff event and guild subscriptions. They act on the
/// connection they came on, so they live with the gateway, above Dispatch, and not among the services.
/// </summary>
public sealed class GatewayService(
    CallContextAccessor callContext,
    Authenticator authenticator,
    GatewayHub gateway,
    GuildRepository guilds,
    Microsoft.Extensions.Options.IOptions<LargeGuildOptions> largeGuilds) : IGatewayApi
{
    /// <summary>
    /// Checks the call's token itself (the method is open to anyone) so that a revoked token gets its
    /// own error telling the client to stop; the session's own token is checked again as well, since
    /// the connection goes on with it. No refusal changes the session.
    /// </summary>
    public async Task<ResumeResult> ResumeAsync(string sessionId, long seq, CancellationToken cancellationToken = default)
    {
        var context = callContext.Current;
        var connection = ControlOf(context);
        if (context.Origin.Connection!.IsIdentified)
        {
            throw ServiceException.Refused(ErrorData.AlreadyIdentified);
        }

        var caller = await AuthenticateAsync(context.Token ?? throw ServiceException.Refused(ErrorData.ResumeTokenRequired), cancellationToken).ConfigureAwait(false);
        if (gateway.HeldElsewhere(sessionId))
        {
            // Sessions live in the memory of the server that started them (README, "Several servers"): the client
            // identifies again, on a new connection, after reading this reply.
            (context.Origin.Connection as IGatewayConnection)?.Close(GatewayCloseCodes.SessionNotHere, "the gateway session is held by another server: identify again", discardQueued: false);
            throw ServiceException.Refused(ErrorData.ResumeOtherServer);
        }

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

    public Task<bool> StaffEventsAsync(bool enabled, CancellationToken cancellationToken = default) =>
        Task.FromResult(ControlOf(callContext.Current).SetStaffEvents(enabled));

    /// <summary>
    /// Subscribes first and checks the membership after: a leave that commits before the check fails it, and
    /// one that commits after it sends a GUILD_DELETE that ends the subscription, so none outlives the membership.
    /// </summary>
    public async Task<bool> GuildSubscribeAsync(long guildId, CancellationToken cancellationToken = default)
    {
        var session = SessionOf(callContext.Current);
        var max = largeGuilds.Value.MaxGuildSubscriptions;
        var outcome = gateway.Subscribe(session, guildId, max);
        if (await guilds.FindForMemberAsync(guildId, session.UserId, cancellationToken).ConfigureAwait(false) is null)
        {
            gateway.Unsubscribe(session, guildId);
            throw ServiceException.Refused(ErrorData.UnknownGuild);
        }

        return outcome switch
        {
            SubscribeOutcome.LimitReached => throw ServiceException.Refused(ErrorData.TooManyGuildSubscriptions(max)),
            SubscribeOutcome.Added => true,
            _ => false,
        };
    }

    public Task<bool> GuildUnsubscribeAsync(long guildId, CancellationToken cancellationToken = default) =>
        Task.FromResult(gateway.Unsubscribe(SessionOf(callContext.Current), guildId));

    /// <summary>The gateway session of the call's WebSocket connection; refused over HTTP and before the connection identified.</summary>
    private static GatewaySession SessionOf(CallContext context) =>
        ControlOf(context).Session ?? throw ServiceException.Refused(ErrorData.GatewaySessionRequired);

    /// <summary>The gateway side of the call's WebSocket connection; over HTTP the methods are refused.</summary>
    private static IGatewayControl ControlOf(CallContext context) =>
        context.Origin.Connection as IGatewayControl ?? throw ServiceException.Refused(ErrorData.WebSocketOnly);

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

/// <summary>A WebSocket connection as the <c>gateway.*</c> methods see it: resuming a session on it and its staff events.</summary>
public interface IGatewayControl
{
    /// <summary>Resumes <paramref name="session"/> on this connection; the outcome is null when the connection already has a gateway session.</summary>
    ResumeAttempt Resume(GatewaySession session, long lastSeen);

    /// <summary>Turns staff events on or off for this connection's gateway session; returns the new setting.</summary>
    bool SetStaffEvents(bool enabled);

    /// <summary>This connection's gateway session; null until it identifies or resumes.</summary>
    GatewaySession? Session { get; }
}

/// <summary>What <see cref="IGatewayControl.Resume"/> did: null outcome when the connection already has a gateway session.</summary>
public readonly record struct ResumeAttempt(ResumeOutcome? Outcome, int Replayed);
