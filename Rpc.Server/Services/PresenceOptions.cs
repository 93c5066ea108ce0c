using System.ComponentModel.DataAnnotations;

namespace Rpc.Server.Services;

/// <summary>
/// Presence timing (configuration section <c>Gateway</c>, beside <c>GatewayOptions</c>: the settings
/// keep their names, but presence is the services' rule, so its options live here).
/// </summary>
public sealed class PresenceOptions
{
    public const string Section = "Gateway";

    /// <summary>How long after a user's last connection closes before it shows as OFFLINE. Default 5 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan PresenceGracePeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// At most one PRESENCE_UPDATE per user to its observers in this window: the first change goes out at once,
    /// the changes after it as one update with the latest state at the window's end; the user's own sessions
    /// get every change at once. Default 1 s.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan PresenceCoalesceWindow { get; set; } = TimeSpan.FromSeconds(1);
}
