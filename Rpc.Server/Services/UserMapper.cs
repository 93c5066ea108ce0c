using Rpc.Contracts.Users;
using Rpc.Server.Data;

namespace Rpc.Server.Services;

/// <summary>Turns rows into the one user object every method returns.</summary>
public static class UserMapper
{
    private static readonly UserFlag[] AllFlags = Enum.GetValues<UserFlag>();

    public static User ToUser(UserRow row, PresenceStatus? presence = null) => new()
    {
        Id = row.Id,
        Username = row.Username,
        Discriminator = row.Discriminator,
        DisplayName = row.DisplayName,
        Avatar = row.Avatar,
        Flags = FlagsOf(row.Flags),
        Presence = presence,
    };

    public static IReadOnlyList<UserFlag> FlagsOf(long bits) =>
        AllFlags.Where(f => (bits & (1L << (int)f)) != 0).ToArray();

    public static long BitsOf(IEnumerable<UserFlag> flags) =>
        flags.Aggregate(0L, (bits, f) => bits | (1L << (int)f));
}
