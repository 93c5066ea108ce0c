using System.Net;

namespace Rpc.Server.Operations;

/// <summary>Addresses and CIDR ranges from settings such as <c>Server:TrustedProxies</c> and <c>Metrics:AllowedNetworks</c>.</summary>
public static class NetworkList
{
    /// <summary>Whether <paramref name="entry"/> is an IP address or a CIDR range.</summary>
    public static bool IsValid(string entry) => IPNetwork.TryParse(entry.Trim(), out _) || IPAddress.TryParse(entry.Trim(), out _);

    /// <summary>Each entry as a network; a bare address is a /32 (IPv4) or /128 (IPv6).</summary>
    public static IReadOnlyList<IPNetwork> Parse(IEnumerable<string> entries) =>
        entries.Select(e => e.Trim()).Select(e => IPNetwork.TryParse(e, out var network) ? network : new IPNetwork(IPAddress.Parse(e), IPAddress.Parse(e).AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128)).ToList();

    /// <summary>Whether <paramref name="address"/> (IPv4-mapped IPv6 counts as IPv4) is in one of <paramref name="networks"/>.</summary>
    public static bool Contains(IReadOnlyList<IPNetwork> networks, IPAddress? address)
    {
        if (address is null)
        {
            return false;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        foreach (var network in networks)
        {
            if (network.Contains(address))
            {
                return true;
            }
        }

        return false;
    }
}
