using Rpc.Contracts.Protocol;
using StreamJsonRpc;

namespace Rpc.Contracts.Gateway;

/// <summary>
/// WebSocket close codes the gateway uses. 4000–4999 are application codes (RFC 6455 §7.4.2).
/// methods.md ("Gateway guide") says for each whether a client should resume, identify again or stop.
/// </summary>
public static class GatewayCloseCodes
{
    /// <summary>The answer to the client's own close (1000 or 1001 end its gateway session; other codes keep it resumable).</summary>
    public const int Normal = 1000;

    /// <summary>The server is restarting: reconnect after a backoff and resume (sessions live in the server's memory, so identify when the resume is refused).</summary>
    public const int ServiceRestart = 1012;

    /// <summary>The session's token was revoked: <c>users.logout</c>, <c>users.sessions.revoke</c>, a password change.</summary>
    public const int SessionRevoked = 4004;

    /// <summary>The account was deleted by staff.</summary>
    public const int AccountDeleted = 4005;

    /// <summary>A <c>gateway.resume</c> on another connection took this connection's gateway session over.</summary>
    public const int ResumedElsewhere = 4007;

    /// <summary>The connection did not read its events fast enough and its outgoing queue overflowed.</summary>
    public const int SlowConsumer = 4008;

    /// <summary>The connection did not authenticate and sent no request for <c>Connections:AnonymousIdleSeconds</c>.</summary>
    public const int IdleTimeout = 4009;

    /// <summary>
    /// A <c>gateway.resume</c> named a session another server of the cluster holds (or held before it stopped): identify
    /// again on a new connection (or resume at READY's <c>resume_gateway_url</c>). Sent after the error reply.
    /// </summary>
    public const int SessionNotHere = 4010;

    /// <summary>
    /// The client's address sent more than its pace (<c>Rpc:PacedBytesPerSecondPerAddress</c>) for longer than a message
    /// may wait; the reason says how many seconds to wait. Reconnect after that wait and resume: the session is kept.
    /// </summary>
    public const int RateLimited = 4029;
}

/// <summary>Names of the events the gateway pushes as <c>gateway.event</c> notifications.</summary>
public static class GatewayEvents
{
    /// <summary>The JSON-RPC method of every server-pushed event; params are <c>{t, s, d}</c>.</summary>
    public const string Method = "gateway.event";

    /// <summary>First event after authentication: the user, its guilds, its DM channels and the gateway session id.</summary>
    public const string Ready = "READY";

    /// <summary>Events replayed after <c>gateway.resume</c> are followed by this one; it takes the next sequence number.</summary>
    public const string Resumed = "RESUMED";

    /// <summary>A DM or group DM appeared for the user.</summary>
    public const string ChannelCreate = "CHANNEL_CREATE";

    /// <summary>A group DM of the user changed.</summary>
    public const string ChannelUpdate = "CHANNEL_UPDATE";

    /// <summary>A group DM is gone for the user.</summary>
    public const string ChannelDelete = "CHANNEL_DELETE";

    /// <summary>A user joined a group DM.</summary>
    public const string ChannelRecipientAdd = "CHANNEL_RECIPIENT_ADD";

    /// <summary>A user left or was removed from a group DM.</summary>
    public const string ChannelRecipientRemove = "CHANNEL_RECIPIENT_REMOVE";

    /// <summary>The user created or joined a guild.</summary>
    public const string GuildCreate = "GUILD_CREATE";

    /// <summary>A guild of the user changed.</summary>
    public const string GuildUpdate = "GUILD_UPDATE";

    /// <summary>A guild is gone for the user.</summary>
    public const string GuildDelete = "GUILD_DELETE";

    /// <summary>A user joined a guild.</summary>
    public const string GuildMemberAdd = "GUILD_MEMBER_ADD";

    /// <summary>A user left a guild.</summary>
    public const string GuildMemberRemove = "GUILD_MEMBER_REMOVE";

    /// <summary>A user's status changed, as the receiver may see it.</summary>
    public const string PresenceUpdate = "PRESENCE_UPDATE";

    /// <summary>A user's profile changed.</summary>
    public const string UserUpdate = "USER_UPDATE";

    /// <summary>The user's own privacy settings changed.</summary>
    public const string UserSettingsUpdate = "USER_SETTINGS_UPDATE";

    /// <summary>A relationship of the user appeared or changed.</summary>
    public const string RelationshipAdd = "RELATIONSHIP_ADD";

    /// <summary>A relationship of the user ended.</summary>
    public const string RelationshipRemove = "RELATIONSHIP_REMOVE";

    /// <summary>A role was given to a user (staff events).</summary>
    public const string UserRoleAdd = "USER_ROLE_ADD";

    /// <summary>A user's role changed (staff events).</summary>
    public const string UserRoleUpdate = "USER_ROLE_UPDATE";

    /// <summary>A role was taken from a user, or expired (staff events).</summary>
    public const string UserRoleRemove = "USER_ROLE_REMOVE";

    /// <summary>A role was defined (staff events).</summary>
    public const string RoleCreate = "ROLE_CREATE";

    /// <summary>A role definition changed (staff events).</summary>
    public const string RoleUpdate = "ROLE_UPDATE";

    /// <summary>A role definition was deleted (staff events).</summary>
    public const string RoleDelete = "ROLE_DELETE";
}

/// <summary>The result of <c>gateway.resume</c>.</summary>
public sealed record ResumeResult
{
    /// <summary>The resumed gateway session.</summary>
    public required string SessionId { get; init; }

    /// <summary>How many missed events were sent again, before this reply.</summary>
    public required int Replayed { get; init; }
}

/// <summary>The gateway's own methods. The gateway itself is the WebSocket at <c>/rpc</c>: authenticating there starts it.</summary>
public interface IGatewayApi
{
    /// <summary>
    /// Resumes a gateway session on a new connection after a disconnect: the events after
    /// <paramref name="seq"/> are sent again, in order, then RESUMED, then live events continue with the
    /// next numbers. A connection still attached to the session is closed with 4007 at once. Call it on a
    /// new WebSocket, with a valid token of the session's user; the connection then acts with the
    /// session's own token. A refusal changes nothing: the session stays resumable.
    /// </summary>
    /// <param name="sessionId">The <c>session_id</c> of the READY event.</param>
    /// <param name="seq">The last sequence number the client received.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("gateway.resume")]
    [RpcAccess(RpcAccess.Anonymous)]
    Task<ResumeResult> ResumeAsync(string sessionId, long seq, CancellationToken cancellationToken = default);

    /// <summary>Subscribes this connection to staff events (role changes for a role-sync bot); returns the new setting.</summary>
    /// <param name="enabled">Whether to receive staff events.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("gateway.staffEvents")]
    [RpcAccess(RpcAccess.Staff)]
    Task<bool> StaffEventsAsync(bool enabled, CancellationToken cancellationToken = default);

    /// <summary>
    /// Subscribes this connection's gateway session to a guild's presence changes. A large guild (more members than
    /// <c>Gateway:LargeThreshold</c>, 250 by default; <c>large</c> in READY) sends PRESENCE_UPDATE of its members only
    /// to the sessions subscribed to it, as Discord's member-list subscriptions do; a small guild sends them to every
    /// member, subscribed or not. The caller must be a member. The subscription lasts as long as the gateway session
    /// (a resume keeps it) and ends when the caller leaves the guild or calls <c>gateway.guildUnsubscribe</c>.
    /// At most <c>Gateway:MaxGuildSubscriptions</c> (100) per session. Returns false when the session already subscribed.
    /// </summary>
    /// <param name="guildId">A guild the caller is a member of.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("gateway.guildSubscribe")]
    Task<bool> GuildSubscribeAsync(long guildId, CancellationToken cancellationToken = default);

    /// <summary>Ends this connection's gateway session's subscription to a guild's presence changes; returns false when it had none.</summary>
    /// <param name="guildId">The guild.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("gateway.guildUnsubscribe")]
    Task<bool> GuildUnsubscribeAsync(long guildId, CancellationToken cancellationToken = default);
}
