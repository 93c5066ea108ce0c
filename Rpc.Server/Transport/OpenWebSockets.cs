using System.Collections.Concurrent;

namespace Rpc.Server.Transport;

/// <summary>
/// Every open WebSocket of this server, so that a shutdown can close them all: on SIGTERM each gets
/// 1012 (service restart) with <see cref="RestartReason"/> once its running requests have answered.
/// </summary>
public sealed class OpenWebSockets(Microsoft.Extensions.Options.IOptions<ServerOptions> options)
{
    private readonly TimeSpan grace = options.Value.DrainTime;

    /// <summary>The close reason of a server shutdown: what a client should do (methods.md, close codes).</summary>
    public const string RestartReason = "server restarting: reconnect and resume";

    private readonly ConcurrentDictionary<WebSocketRpcConnection, byte> connections = new();
    private volatile bool closing;

    /// <summary>Whether the server is shutting down: new upgrades are refused.</summary>
    public bool Closing => closing;

    public void Add(WebSocketRpcConnection connection)
    {
        connections.TryAdd(connection, 0);
        if (closing)
        {
            connection.CloseForShutdown(Rpc.Contracts.Gateway.GatewayCloseCodes.ServiceRestart, RestartReason, grace);
        }
    }

    /// <summary>Open WebSockets now.</summary>
    public int Count => connections.Count;

    public void Remove(WebSocketRpcConnection connection) => connections.TryRemove(connection, out _);

    /// <summary>Closes every connection with 1012; each sends the replies of its running requests first.</summary>
    public void CloseAll()
    {
        closing = true;
        foreach (var connection in connections.Keys)
        {
            connection.CloseForShutdown(Rpc.Contracts.Gateway.GatewayCloseCodes.ServiceRestart, RestartReason, grace);
        }
    }
}
