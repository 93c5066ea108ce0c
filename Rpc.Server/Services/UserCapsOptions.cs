using System.ComponentModel.DataAnnotations;

namespace Rpc.Server.Services;

/// <summary>
/// What one user may hold, so one client cannot make the server keep (and fan out to) unbounded state on
/// its behalf (configuration section <c>UserCaps</c>). Each is counted in the database inside the write
/// transaction that would exceed it, so racing calls cannot pass it either.
/// </summary>
public sealed class UserCapsOptions
{
    public const string Section = "UserCaps";

    /// <summary>Guilds one user may be a member of (<c>guilds.create</c>, <c>guilds.join</c>). Default 200.</summary>
    [Range(1, 100_000)]
    public int GuildsJoined { get; set; } = 200;

    /// <summary>Group DMs one user may own (<c>users.createGroupDm</c>). Default 100.</summary>
    [Range(1, 100_000)]
    public int GroupDmsOwned { get; set; } = 100;

    /// <summary>New DMs one user may open in any hour (<c>users.createDm</c> that creates a channel). Default 50.</summary>
    [Range(1, 100_000)]
    public int DmsOpenedPerHour { get; set; } = 50;

    /// <summary>Bot accounts one user may own (<c>users.bots.create</c>). Default 25.</summary>
    [Range(0, 10_000)]
    public int BotsPerOwner { get; set; } = 25;
}
