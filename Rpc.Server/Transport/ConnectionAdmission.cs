using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;
using Rpc.Contracts.Protocol;
using Rpc.Server.Dispatch;

namespace Rpc.Server.Transport;

/// <summary>
/// Counts open TCP connections (HTTP keep-alive and WebSocket alike) per client address as Kestrel accepts
/// them. A connection beyond <see cref="ConnectionLimitsOptions.MaxConnectionsPerAddress"/> is not counted
/// and its first request is answered with HTTP 429 and <c>Connection: close</c>, so one address cannot hold
/// the server's connection slots however few requests it sends on each. A trusted proxy
/// (<c>Server:TrustedProxies</c>) carries many clients on its connections and is not counted.
/// </summary>
public sealed class ConnectionAdmission(IOptions<ConnectionLimitsOptions> options, IOptions<ServerOptions> server)
{
    private readonly int limit = options.Value.MaxConnectionsPerAddress;
    private readonly IReadOnlyList<System.Net.IPNetwork> proxies = Operations.NetworkList.Parse(server.Value.TrustedProxies.Where(Operations.NetworkList.IsValid));
    private readonly Dictionary<string, int> perAddress = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> refused = new(StringComparer.Ordinal);
    private readonly Lock gate = new();
    private int refusedCount;

    /// <summary>Open connections counted for <paramref name="address"/> now.</summary>
    public int OpenFrom(string address)
    {
        lock (gate)
        {
            return perAddress.GetValueOrDefault(Security.AddressKey.Of(address));
        }
    }

    /// <summary>Kestrel connection middleware: counts the connection for its address while it is open.</summary>
    public async Task OnConnectionAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        var peer = (connection.RemoteEndPoint as IPEndPoint)?.Address;
        if (Operations.NetworkList.Contains(proxies, peer))
        {
            await next(connection).ConfigureAwait(false);
            return;
        }

        var address = Security.AddressKey.Of(peer?.ToString());
        var admitted = TryAdmit(address);
        if (!admitted)
        {
            refused[connection.ConnectionId] = 0;
            Interlocked.Increment(ref refusedCount);
        }

        try
        {
            await next(connection).ConfigureAwait(false);
        }
        finally
        {
            if (admitted)
            {
                Release(address);
            }
            else
            {
                refused.TryRemove(connection.ConnectionId, out _);
                Interlocked.Decrement(ref refusedCount);
            }
        }
    }

    /// <summary>HTTP middleware: answers every request on a connection beyond the address's limit with 429 and closes it.</summary>
    public Task RefuseExcessAsync(HttpContext context, RequestDelegate next) =>
        Volatile.Read(ref refusedCount) == 0 || !refused.ContainsKey(context.Connection.Id) ? next(context) : RefuseAsync(context);

    private static Task RefuseAsync(HttpContext context)
    {
        context.Response.Headers.Connection = "close";
        return HttpRefusal.WriteAsync(context.Response, context.RequestServices.GetRequiredService<RpcErrorWriter>(),
            StatusCodes.Status429TooManyRequests, ErrorData.TooManyHttpConnectionsFromAddress, RequestOriginFactory.From(context).Culture);
    }

    private bool TryAdmit(string address)
    {
        lock (gate)
        {
            var mine = perAddress.GetValueOrDefault(address);
            if (mine >= limit)
            {
                return false;
            }

            perAddress[address] = mine + 1;
            return true;
        }
    }

    private void Release(string address)
    {
        lock (gate)
        {
            if (perAddress.TryGetValue(address, out var mine) && mine > 1)
            {
                perAddress[address] = mine - 1;
            }
            else
            {
                perAddress.Remove(address);
            }
        }
    }
}
