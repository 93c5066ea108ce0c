using Rpc.Contracts.Protocol;
using StreamJsonRpc;

namespace Rpc.Contracts.Users;

/// <summary>Accounts: the <c>users.*</c> methods of seed 001.</summary>
public interface IUsersApi
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
    Task<User> IdentifyAsync(string token, CancellationToken cancellationToken = default);

    /// <summary>Revokes the token the call was made with; returns true.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("users.logout")]
    Task<bool> LogoutAsync(CancellationToken cancellationToken = default);
}
