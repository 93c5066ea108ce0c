using System.Net;
using System.Net.Sockets;

namespace Rpc.Server.Security;

/// <summary>
/// The key per-address limits count under. An IPv6 client usually holds a whole /64 and can pick any
/// address in it, so IPv6 addresses count by their /64 prefix; IPv4 (and IPv4-mapped IPv6) by address.
/// </summary>
public static class AddressKey
{
    public static string Of(string? address)
    {
        if (address is null || !IPAddress.TryParse(address, out var ip))
        {
            return address ?? "unknown";
        }

        return ip.AddressFamily != AddressFamily.InterNetworkV6 && IsWrittenAs(ip, address) ? address : Of(ip);
    }

    /// <summary>The key of a parsed address; an IPv4 address's is its own (cached) text, so a connection's requests share one string.</summary>
    public static string Of(IPAddress? ip)
    {
        if (ip is null)
        {
            return "unknown";
        }

        if (ip.IsIPv4MappedToIPv6)
        {
            return ip.MapToIPv4().ToString();
        }

        if (ip.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return ip.ToString();
        }

        var bytes = ip.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }

    // The address as given is already its canonical form (the usual case, from RemoteIpAddress): no new string.
    private static bool IsWrittenAs(IPAddress ip, string address)
    {
        Span<char> canonical = stackalloc char[45];
        return ip.TryFormat(canonical, out var written) && canonical[..written].SequenceEqual(address);
    }
}
