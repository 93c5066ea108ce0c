using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Rpc.Contracts.Protocol;

namespace Rpc.Server.Transport;

/// <summary>Counts open WebSockets in total and per client address and refuses those beyond the limits.</summary>
public sealed class WebSocketAdmission(IOptions<ConnectionLimitsOptions> options)
{
    private readonly ConnectionLimitsOptions limits = options.Value;
    private readonly ConcurrentDictionary<string, int> perAddress = new(StringComparer.Ordinal);
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

            var mine = perAddress.GetValueOrDefault(address);
            if (mine >= limits.MaxWebSocketsPerAddress)
            {
                return (StatusCodes.Status429TooManyRequests, ErrorData.TooManyConnectionsFromAddress);
            }

            perAddress[address] = mine + 1;
            total++;
            return null;
        }
    }

    /// <summary>Forgets a connection admitted by <see cref="TryAdmit"/>.</summary>
    public void Release(string address)
    {
        lock (gate)
        {
            total--;
            if (perAddress.TryGetValue(address, out var mine) && mine > 1)
            {
                perAddress[address] = mine - 1;
            }
            else
            {
                perAddress.TryRemove(address, out _);
            }
        }
    }
}
