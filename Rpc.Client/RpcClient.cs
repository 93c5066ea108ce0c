using System.Net.WebSockets;
using System.Text.Json;
using Rpc.Contracts.Protocol;
using StreamJsonRpc;

namespace Rpc.Client;

/// <summary>
/// A connection to the server's JSON-RPC endpoint, over HTTP (<c>POST /rpc</c>) or a WebSocket
/// (<c>ws://HOST/rpc</c>), that hands out typed proxies of the Rpc.Contracts interfaces:
/// <c>client.Api&lt;IUsersApi&gt;().SelfAsync()</c>. Application errors surface as StreamJsonRpc's
/// <see cref="RemoteInvocationException"/>; <see cref="RpcErrors"/> reads their <c>data</c> string.
/// </summary>
public sealed class RpcClient : IAsyncDisposable, IDisposable
{
    private readonly JsonRpc rpc;
    private readonly IDisposable? transport;

    private RpcClient(JsonRpc rpc, IDisposable? transport)
    {
        this.rpc = rpc;
        this.transport = transport;
        rpc.StartListening();
    }

    /// <summary>
    /// The session token sent with every call over HTTP (as <c>Authorization: Bearer</c>). On a WebSocket,
    /// <c>users.auth</c> or <c>users.identify</c> authenticate the connection itself, and this is unused.
    /// </summary>
    public string? Token { get; set; }

    /// <summary>A client that posts each call to <paramref name="rpcUri"/> (for example <c>http://127.0.0.1:8080/rpc</c>).</summary>
    /// <param name="rpcUri">The server's <c>/rpc</c> address.</param>
    /// <param name="http">The HTTP client to use; a new one when null (disposed with this client).</param>
    public static RpcClient ForHttp(Uri rpcUri, HttpClient? http = null)
    {
        var owned = http is null ? new HttpClient() : null;
        RpcClient? client = null;
        var handler = new HttpRpcMessageHandler(http ?? owned!, rpcUri, Formatter(), () => client?.Token);
        client = new RpcClient(new JsonRpc(handler), owned);
        return client;
    }

    /// <summary>A client over a new WebSocket to <paramref name="webSocketUri"/> (for example <c>ws://127.0.0.1:8080/rpc</c>).</summary>
    /// <param name="webSocketUri">The server's WebSocket address.</param>
    /// <param name="cancellationToken">Cancels the connection attempt.</param>
    public static async Task<RpcClient> ConnectWebSocketAsync(Uri webSocketUri, CancellationToken cancellationToken = default)
    {
        var socket = new ClientWebSocket();
        try
        {
            await socket.ConnectAsync(webSocketUri, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new RpcClient(new JsonRpc(new WebSocketMessageHandler(socket, Formatter())), socket);
    }

    /// <summary>A typed proxy of a contract interface such as <c>IUsersApi</c>; every member is one wire method.</summary>
    /// <typeparam name="T">An Rpc.Contracts API interface.</typeparam>
    public T Api<T>() where T : class => rpc.Attach<T>();

    /// <summary>The server's OpenRPC document (<c>rpc.discover</c>).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<JsonElement> DiscoverAsync(CancellationToken cancellationToken = default) => Api<IDiscoveryApi>().DiscoverAsync(cancellationToken);

    /// <summary>Completes when the connection ends (a WebSocket closed or dropped, or this client disposed).</summary>
    public Task Completion => rpc.Completion;

    /// <summary>Ends the connection (a WebSocket is aborted; close it with users.logout first to end its session cleanly).</summary>
    public void Dispose()
    {
        rpc.Dispose();
        transport?.Dispose();
    }

    /// <inheritdoc cref="Dispose"/>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private static SystemTextJsonFormatter Formatter() => new() { JsonSerializerOptions = RpcJson.Create() };
}
