using System.ComponentModel.DataAnnotations;

namespace Rpc.Server.Security;

/// <summary>Two-factor login (configuration section <c>Security</c>).</summary>
public sealed class MfaOptions
{
    public const string Section = "Security";

    /// <summary>When true, every <c>admin.*</c> and <c>discord.*</c> call by a staff user without two-factor login on is refused. Default false.</summary>
    public bool RequireStaffMfa { get; set; }

    /// <summary>The issuer an authenticator app shows beside the account (the <c>otpauth://</c> URI's issuer). Default <c>Chat</c>.</summary>
    [Required, MinLength(1), MaxLength(64)]
    public string MfaIssuer { get; set; } = "Chat";

    /// <summary>How long the ticket of <c>users.auth</c> lasts for <c>users.auth.mfa</c>, in seconds. Default 300.</summary>
    [Range(30, 3600)]
    public int MfaTicketSeconds { get; set; } = 300;
}
