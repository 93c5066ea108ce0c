using System.Net;
using System.Net.Sockets;

namespace Rpc.Tests.Infrastructure;

/// <summary>
/// A loopback TCP relay between a client and a server, so a test can cut every connection at once (with a
/// reset, as a network failure would: the server sees no close frame, the client a 1006) and point new
/// connections at a restarted server on another port.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly List<Socket> open = [];
    private readonly CancellationTokenSource stopping = new();
    private readonly Task accepting;

    public TcpProxy(int targetPort)
    {
        TargetPort = targetPort;
        listener.Start();
        accepting = AcceptAsync();
    }

    /// <summary>The server port new connections are relayed to.</summary>
    public int TargetPort { get; set; }

    public Uri WebSocketUri => new($"ws://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/rpc");

    /// <summary>Resets every relayed connection, both sides.</summary>
    public void DropAll()
    {
        lock (open)
        {
            foreach (var socket in open)
            {
                try
                {
                    socket.LingerState = new LingerOption(true, 0);
                    socket.Close();
                }
                catch (ObjectDisposedException)
                {
                }
            }

            open.Clear();
        }
    }

    private async Task AcceptAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptSocketAsync(stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(Socket client)
    {
        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await server.ConnectAsync(new IPEndPoint(IPAddress.Loopback, TargetPort), stopping.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            // The server is down: refuse the client the way a closed port would.
            client.LingerState = new LingerOption(true, 0);
            client.Close();
            server.Dispose();
            return;
        }

        lock (open)
        {
            open.Add(client);
            open.Add(server);
        }

        await Task.WhenAny(PumpAsync(client, server), PumpAsync(server, client));
        client.Dispose();
        server.Dispose();
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, stopping.Token);
                if (read == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, stopping.Token);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        listener.Stop();
        DropAll();
        await accepting;
        stopping.Dispose();
    }
}
