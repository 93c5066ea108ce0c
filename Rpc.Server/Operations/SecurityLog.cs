using Rpc.Contracts.Protocol;
using Rpc.Contracts.Users;

namespace Rpc.Server.Operations;

/// <summary>
/// Security events as structured log lines (category <c>Rpc.Server.Operations.SecurityLog</c>), one
/// template for all so one filter reads them: <c>Security event {SecurityEvent}: user {UserId},
/// client {ClientAddress}</c>. The dispatcher reports every call's outcome here and this class picks
/// the ones that matter, so services stay free of logging. Never a password, token or params: the user
/// id is the authenticated caller's (or the account a login reached), "-" when there is none.
/// </summary>
public sealed partial class SecurityLog(ILogger<SecurityLog> logger)
{
    /// <summary>The event names, as they appear in the log (README shows a fail2ban filter on <see cref="LoginLockedOut"/>).</summary>
    public const string LoginSucceeded = "login_succeeded", LoginFailed = "login_failed", LoginLockedOut = "login_locked_out",
        PasswordChanged = "password_changed", SessionRevoked = "session_revoked", StaffAccessRefused = "staff_access_refused",
        RateLimited = "rate_limited";

    /// <summary>A call returned <paramref name="result"/>.</summary>
    public void Succeeded(string method, long? callerId, string? address, object? result)
    {
        switch (method)
        {
            case "users.auth" when result is AuthResult auth:
                Write(LogLevel.Information, LoginSucceeded, auth.UserId, address);
                break;
            case "users.changePassword":
                Write(LogLevel.Information, PasswordChanged, callerId, address);
                break;
            case "users.sessions.revoke":
                Write(LogLevel.Information, SessionRevoked, callerId, address);
                break;
        }
    }

    /// <summary>A call failed with <paramref name="errorData"/>.</summary>
    public void Failed(string method, long? callerId, string? address, string errorData)
    {
        var user = callerId;
        if (IsRateLimit(errorData))
        {
            ServerMetrics.RateLimited(method == "users.auth" ? "login" : method);
            Write(LogLevel.Warning, method == "users.auth" ? LoginLockedOut : RateLimited, user, address);
        }
        else if (method == "users.auth" && errorData == ErrorData.InvalidPassword)
        {
            Write(LogLevel.Warning, LoginFailed, user, address);
        }
        else if (errorData == ErrorData.StaffOnly)
        {
            Write(LogLevel.Warning, StaffAccessRefused, user, address);
        }
    }

    /// <summary>A connection limit refused a WebSocket upgrade.</summary>
    public void ConnectionRefused(string limiter, string? address)
    {
        ServerMetrics.RateLimited(limiter);
        Write(LogLevel.Warning, RateLimited, null, address);
    }

    private static bool IsRateLimit(string errorData) => ErrorData.RetryAfterSeconds(errorData) is not null;

    private void Write(LogLevel level, string securityEvent, long? userId, string? address) =>
        Event(logger, level, securityEvent, userId?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-", address ?? "-");

    [LoggerMessage(EventId = 9000, EventName = "SecurityEvent", Message = "Security event {SecurityEvent}: user {UserId}, client {ClientAddress}")]
    private static partial void Event(ILogger logger, LogLevel level, string securityEvent, string userId, string clientAddress);
}
