using Rpc.Contracts.Protocol;
using Rpc.Contracts.Users;
using StreamJsonRpc;

namespace Rpc.Contracts.Admin;

/// <summary>Staff moderation short of deletion: look a user up, disable and enable it, end its sessions, reset its password.</summary>
public interface IAdminModerationApi
{
    /// <summary>The full account as staff see it: email, flags, creation, disabled state, live sessions, MFA, bot owner.</summary>
    /// <param name="userId">The user.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("admin.users.get")]
    [RpcAccess(RpcAccess.Staff)]
    Task<AccountDetails> GetAsync(long userId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Disables an account: its sessions end, its connections close with 4005, and logins fail with
    /// <c>account disabled</c> until <paramref name="until"/> passes or staff enable it. Disabling a
    /// disabled account replaces the reason and the end.
    /// </summary>
    /// <param name="userId">The user; not a staff user.</param>
    /// <param name="reason">Why, 1 to 500 characters; shown to staff, and to the user when it tries to log in.</param>
    /// <param name="until">When it lifts by itself: ISO 8601 with an offset (<c>2026-12-31T00:00:00Z</c>), in the future; omitted: until enabled.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("admin.users.disable")]
    [RpcAccess(RpcAccess.Staff)]
    Task<AccountDetails> DisableAsync(long userId, string reason, string? until = null, CancellationToken cancellationToken = default);

    /// <summary>Lifts a disable at once.</summary>
    /// <param name="userId">A disabled user.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("admin.users.enable")]
    [RpcAccess(RpcAccess.Staff)]
    Task<AccountDetails> EnableAsync(long userId, CancellationToken cancellationToken = default);

    /// <summary>Ends every session of a user (its connections close with 4004); it can log in again.</summary>
    /// <param name="userId">The user.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("admin.users.sessions.revoke")]
    [RpcAccess(RpcAccess.Staff)]
    Task<SessionsRevoked> RevokeSessionsAsync(long userId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Issues a single-use password reset code for a user, valid 24 hours, for staff to hand over by a
    /// channel they trust; <c>users.resetPassword</c> spends it. Earlier unspent codes of the user stop working.
    /// </summary>
    /// <param name="userId">The user; not a bot (bots have tokens, not passwords).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("admin.users.resetPassword")]
    [RpcAccess(RpcAccess.Staff)]
    Task<PasswordResetCode> ResetPasswordAsync(long userId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Turns a user's two-factor login off, for a user who lost both the authenticator and the backup codes: its
    /// secret, backup codes and pending login tickets are deleted, and its next login takes the password alone (it
    /// may turn two-factor login on again). Its sessions are kept. Staff users turn their own off with
    /// <c>users.mfa.disable</c>, so that one staff account cannot strip another's second factor.
    /// </summary>
    /// <param name="userId">A user with two-factor login on; not a staff user.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("admin.users.mfa.disable")]
    [RpcAccess(RpcAccess.Staff)]
    Task<AccountDetails> DisableMfaAsync(long userId, CancellationToken cancellationToken = default);
}

/// <summary>An account as staff see it (<c>admin.users.get</c>).</summary>
public sealed record AccountDetails
{
    /// <summary>The user object, as everyone sees it.</summary>
    public required User User { get; init; }

    /// <summary>The account's email, when it has one.</summary>
    public string? Email { get; init; }

    /// <summary>When the account was made.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When it was soft-deleted, or null.</summary>
    public DateTimeOffset? DeletedAt { get; init; }

    /// <summary>The disable in force, or null.</summary>
    public AccountDisable? Disabled { get; init; }

    /// <summary>How many live sessions (logins and bot tokens) it has.</summary>
    public required int SessionCount { get; init; }

    /// <summary>Whether two-factor login is on.</summary>
    public required bool MfaEnabled { get; init; }

    /// <summary>For a bot account, the user who owns it; otherwise null.</summary>
    public long? BotOwnerId { get; init; }
}

/// <summary>A disable in force.</summary>
public sealed record AccountDisable
{
    /// <summary>Why, as staff gave it.</summary>
    public required string Reason { get; init; }

    /// <summary>When it lifts by itself, or null for until enabled.</summary>
    public DateTimeOffset? Until { get; init; }

    /// <summary>When it was made.</summary>
    public required DateTimeOffset Since { get; init; }

    /// <summary>The staff user who made it, or null (made from the shell).</summary>
    public long? ActorId { get; init; }
}

/// <summary>The result of <c>admin.users.sessions.revoke</c>.</summary>
public sealed record SessionsRevoked
{
    /// <summary>How many live sessions ended.</summary>
    public required int Revoked { get; init; }
}

/// <summary>A password reset code (<c>admin.users.resetPassword</c>, <c>./run.sh manage reset-password</c>).</summary>
public sealed record PasswordResetCode
{
    /// <summary>The code, shown once: 16 letters and digits.</summary>
    public required string Code { get; init; }

    /// <summary>When it stops working.</summary>
    public required DateTimeOffset ExpiresAt { get; init; }
}
