using System.ComponentModel.DataAnnotations;

namespace Rpc.Server.Services;

/// <summary>Who may register (configuration section <c>Registration</c>).</summary>
public sealed class RegistrationOptions
{
    public const string Section = "Registration";

    /// <summary>
    /// <c>open</c> (default): anyone may call <c>users.create</c>. <c>invite</c>: <c>users.create</c>
    /// needs an instance invite; <c>users.createWithInvite</c> works in both modes.
    /// </summary>
    [RegularExpression(@"^(open|invite)\z")]
    public string Mode { get; set; } = "open";

    public bool InviteOnly => Mode == "invite";
}
