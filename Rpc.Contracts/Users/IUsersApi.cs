using Rpc.Contracts.Channels;
using Rpc.Contracts.Guilds;
using Rpc.Contracts.Protocol;
using StreamJsonRpc;

namespace Rpc.Contracts.Users;

/// <summary>
/// Accounts: the <c>users.*</c> methods of seed 001, one interface for a typed client. The server
/// implements each part with its own service.
/// </summary>
public interface IUsersApi : IAccountsApi, IProfilesApi, IUserSessionsApi, IUserChannelsApi, IMembershipsApi;

/// <summary>Accounts: registration, login, the caller's own object and logout.</summary>
public interface IAccountsApi
{
    /// <summary>Creates an account and returns its user object.</summary>
    /// <param name="username">2 to 32 letters, digits, '_', '.' or '-'; unique case-insensitively.</param>
    /// <param name="password">8 to 128 characters.</param>
    /// <param name="invite">An instance invite code: required when registration is invite-only; when given, one of its uses is spent.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("users.create")]
    [RpcAccess(RpcAccess.Anonymous)]
    Task<User> CreateAsync(string username, string password, string? invite = null, CancellationToken cancellationToken = default);

    /// <summary>Creates an account with an instance invite, whatever the registration mode, spending one of its uses.</summary>
    /// <param name="username">The same rules as <c>users.create</c>.</param>
    /// <param name="password">The same rules as <c>users.create</c>.</param>
    /// <param name="invite">The instance invite code.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("users.createWithInvite")]
    [RpcAccess(RpcAccess.Anonymous)]
    Task<User> CreateWithInviteAsync(string username, string password, string invite, CancellationToken cancellationToken = default);

    /// <summary>Logs in and returns a new session token. On a WebSocket, the connection is authenticated too.</summary>
    /// <param name="username">The account's username, in any case.</param>
    /// <param name="password">The account's password.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("users.auth")]
    [RpcAccess(RpcAccess.Anonymous)]
    [SignsInConnection]
    Task<AuthResult> AuthAsync(string username, string password, CancellationToken cancellationToken = default);

    /// <summary>Tells whether a username is taken; never an error for absence.</summary>
    /// <param name="username">The username to look for, in any case.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("users.check")]
    [RpcAccess(RpcAccess.Anonymous)]
    Task<bool> CheckAsync(string username, CancellationToken cancellationToken = default);

    /// <summary>Returns the authenticated user.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("users.self")]
    Task<User> SelfAsync(CancellationToken cancellationToken = default);

    /// <summary>Authenticates a WebSocket connection with an existing token and returns its user.</summary>
    /// <param name="token">A token from <c>users.auth</c>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("users.identify")]
    [RpcAccess(RpcAccess.Anonymous)]
    [SignsInConnection]
    Task<User> IdentifyAsync(string token, CancellationToken cancellationToken = default);

    /// <summary>Revokes the token the call was made with; returns true.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("users.logout")]
    Task<bool> LogoutAsync(CancellationToken cancellationToken = default);
}

/// <summary>Profiles and presence: another user's object, the caller's profile and its status.</summary>
public interface IProfilesApi
{
    /// <summary>Returns another user's public object; its presence only when the caller shares a guild with it or is its friend, and neither blocks the other (a guild mate across a block sees OFFLINE).</summary>
    /// <param name="userId">The user's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("users.get")]
    Task<User> GetAsync(long userId, CancellationToken cancellationToken = default);

    /// <summary>Changes the caller's profile (seed 004's PATCH @me); every field is optional, nothing changes on error.</summary>
    /// <param name="username">A new username (same rules as <c>users.create</c>); keeps the discriminator when it is free for the new name, else picks a free one.</param>
    /// <param name="discriminator">A new 4-digit discriminator, <c>0001</c> to <c>9999</c>, free for the (new) username.</param>
    /// <param name="displayName">A new display name, 1 to 32 characters.</param>
    /// <param name="avatar">A new avatar hash, or an empty string to remove it.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("users.update")]
    Task<User> UpdateAsync(string? username = null, string? discriminator = null, string? displayName = null, string? avatar = null, CancellationToken cancellationToken = default);

    /// <summary>Sets the caller's presence and returns it (seed 001's PATCH @self/presence).</summary>
    /// <param name="status">ONLINE, IDLE, DND, INVISIBLE or OFFLINE.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("users.presence")]
    Task<PresenceStatus> PresenceAsync(PresenceStatus status, CancellationToken cancellationToken = default);
}

/// <summary>The caller's sessions and password.</summary>
public interface IUserSessionsApi
{
    /// <summary>Lists the caller's active sessions in id order; never their tokens.</summary>
    /// <param name="limit">Page size, 1 to 100; default 50.</param>
    /// <param name="after">Continue after this session id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("users.sessions")]
    Task<IReadOnlyList<Session>> SessionsAsync(int? limit = null, long? after = null, CancellationToken cancellationToken = default);

    /// <summary>Ends one of the caller's sessions; its token stops working and its gateway connections close.</summary>
    /// <param name="sessionId">The session's id, from <c>users.sessions</c>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("users.sessions.revoke")]
    Task<bool> RevokeSessionAsync(long sessionId, CancellationToken cancellationToken = default);

    /// <summary>Changes the caller's password and ends every other session of the caller; the current one stays.</summary>
    /// <param name="oldPassword">The current password.</param>
    /// <param name="newPassword">The new password, 8 to 128 characters.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("users.changePassword")]
    Task<bool> ChangePasswordAsync(string oldPassword, string newPassword, CancellationToken cancellationToken = default);
}

/// <summary>The caller's DMs and group DMs.</summary>
public interface IUserChannelsApi
{
    /// <summary>Lists the caller's DM and group DM channels in id order.</summary>
    /// <param name="limit">Page size, 1 to 100; default 50.</param>
    /// <param name="after">Continue after this channel id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("users.channels")]
    Task<IReadOnlyList<Channel>> ChannelsAsync(int? limit = null, long? after = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Opens a DM with another user, or returns (and reopens) the one that exists. Only between friends,
    /// or members of a shared guild when the recipient allows DMs from guild members; never across a block.
    /// </summary>
    /// <param name="recipientId">The other user's id.</param>
    /// <param name="type">Seed 004's channel type: 2 when given.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("users.createDm")]
    Task<Channel> CreateDmAsync(long recipientId, int? type = null, CancellationToken cancellationToken = default);

    /// <summary>Creates a group DM owned by the caller with 1 to 10 of its friends.</summary>
    /// <param name="recipientIds">The other users' ids: 1 to 10 friends of the caller, distinct, not the caller.</param>
    /// <param name="name">The group's name, 1 to 100 characters; none by default.</param>
    /// <param name="type">Seed 004's channel type: 3 when given.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("users.createGroupDm")]
    Task<Channel> CreateGroupDmAsync(IReadOnlyList<long> recipientIds, string? name = null, int? type = null, CancellationToken cancellationToken = default);
}

/// <summary>The caller's guilds.</summary>
public interface IMembershipsApi
{
    /// <summary>Lists the caller's guilds in id order (seed 001's GET @self/guilds).</summary>
    /// <param name="limit">Page size, 1 to 100; default 50.</param>
    /// <param name="after">Continue after this guild id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("users.guilds")]
    Task<IReadOnlyList<Guild>> GuildsAsync(int? limit = null, long? after = null, CancellationToken cancellationToken = default);

    /// <summary>The same list as <c>users.guilds</c>, under seed 004's name.</summary>
    /// <param name="limit">Page size, 1 to 100; default 50.</param>
    /// <param name="after">Continue after this guild id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("users.communities")]
    Task<IReadOnlyList<Guild>> CommunitiesAsync(int? limit = null, long? after = null, CancellationToken cancellationToken = default);

    /// <summary>Leaves a guild (seed 004's DELETE @me/communities/{id}); its owner cannot.</summary>
    /// <param name="guildId">The guild's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("users.leaveGuild")]
    Task<bool> LeaveGuildAsync(long guildId, CancellationToken cancellationToken = default);
}
