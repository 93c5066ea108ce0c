using Microsoft.Extensions.Options;
using Rpc.Contracts.Protocol;
using Rpc.Server.Dispatch;
using Rpc.Server.Gateway;

namespace Rpc.Server.Transport;

/// <summary>
/// Counts open WebSockets in total and per client address, refuses those beyond the limits, and keeps each
/// address's <see cref="AddressLoad"/> (the bytes its connections hold together) while it has connections.
/// </summary>
public sealed class WebSocketAdmission(IOptions<ConnectionLimitsOptions> options, IOptions<RpcLimitsOptions> rpcLimits, IOptions<GatewayOptions> gateway)
{
    private readonly ConnectionLimitsOptions limits = options.Value;
    private readonly Dictionary<string, (int Count, AddressLoad Load)> perAddress = new(StringComparer.Ordinal);
    private readonly AddressLoad inFlightOfAll = new(rpcLimits.Value.MaxInFlightBytesTotal, long.MaxValue);
    private readonly Lock gate = new();
    private int total;

    /// <summary>Open WebSockets now.</summary>
    public int Open => Volatile.Read(ref total);

    /// <summary>Admits a connection from <paramref name="address"/>, or returns the HTTP status and error data to refuse it with.</summary>
    public (int Status, string Data)? TryAdmit(string address)
    {
        lock (gate)
        {
            if (total >= limits.MaxWebSockets)
            {
                return (StatusCodes.Status503ServiceUnavailable, ErrorData.TooManyConnections);
            }

            var (mine, load) = perAddress.GetValueOrDefault(address);
            if (mine >= limits.MaxWebSocketsPerAddress)
            {
                return (StatusCodes.Status429TooManyRequests, ErrorData.TooManyConnectionsFromAddress);
            }

            perAddress[address] = (mine + 1, load ?? new AddressLoad(rpcLimits.Value.MaxInFlightBytesPerAddress, gateway.Value.MaxQueuedReplyBytesPerAddress, inFlightOfAll));
            total++;
            return null;
        }
    }

    /// <summary>The shared load of <paramref name="address"/>, which has a connection admitted by <see cref="TryAdmit"/>.</summary>
    public AddressLoad LoadOf(string address)
    {
        lock (gate)
        {
            return perAddress[address].Load;
        }
    }

    /// <summary>Forgets a connection admitted by <see cref="TryAdmit"/>.</summary>
    public void Release(string address)
    {
        lock (gate)
        {
            total--;
            if (perAddress.TryGetValue(address, out var mine) && mine.Count > 1)
            {
                perAddress[address] = (mine.Count - 1, mine.Load);
            }
            else
            {
                perAddress.Remove(address);
            }
        }
    }
}
