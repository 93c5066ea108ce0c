using Rpc.Contracts.Protocol;
using StreamJsonRpc;

namespace Rpc.Contracts.Users;

/// <summary>
/// Two-factor login with TOTP (RFC 6238: 30-second steps, 6 digits, SHA-1, one step of clock skew
/// either way), as authenticator apps implement it, with one-time backup codes.
/// </summary>
public interface IMfaApi
{
    /// <summary>Starts enrolment: a new secret, not yet in force until <c>users.mfa.confirm</c>. Calling it again replaces a pending secret.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("users.mfa.enable")]
    Task<MfaEnrolment> EnableAsync(CancellationToken cancellationToken = default);

    /// <summary>Turns two-factor login on with a code from the new secret, and returns 10 one-time backup codes (shown only here).</summary>
    /// <param name="code">The 6-digit code the authenticator app shows.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("users.mfa.confirm")]
    Task<MfaBackupCodes> ConfirmAsync(string code, CancellationToken cancellationToken = default);

    /// <summary>Turns two-factor login off, proven with a current code or an unused backup code.</summary>
    /// <param name="code">A 6-digit code, or a backup code.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("users.mfa.disable")]
    Task<bool> DisableAsync(string code, CancellationToken cancellationToken = default);

    /// <summary>
    /// The second step of a login with two-factor login on: spends the ticket <c>users.auth</c> returned and
    /// returns the session token. On a WebSocket the connection is authenticated, as by <c>users.auth</c>.
    /// </summary>
    /// <param name="ticket">The ticket from <c>users.auth</c>: single use, 5 minutes.</param>
    /// <param name="code">A 6-digit code, or an unused backup code.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("users.auth.mfa")]
    [RpcAccess(RpcAccess.Anonymous)]
    [SignsInConnection]
    Task<AuthResult> AuthAsync(string ticket, string code, CancellationToken cancellationToken = default);
}

/// <summary>The result of <c>users.mfa.enable</c>.</summary>
public sealed record MfaEnrolment
{
    /// <summary>The TOTP secret, base32, for typing into an authenticator app.</summary>
    public required string Secret { get; init; }

    /// <summary>The same secret as an <c>otpauth://totp/…</c> URI, for a QR code.</summary>
    public required string OtpauthUri { get; init; }
}

/// <summary>The result of <c>users.mfa.confirm</c>.</summary>
public sealed record MfaBackupCodes
{
    /// <summary>10 one-time codes (<c>xxxx-xxxx</c>), each good for one login or for <c>users.mfa.disable</c>; stored hashed, shown only now.</summary>
    public required IReadOnlyList<string> BackupCodes { get; init; }
}
