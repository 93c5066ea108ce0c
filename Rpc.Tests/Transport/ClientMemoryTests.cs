using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Transport;

/// <summary>Issue #11, "Memory held on behalf of one client": what one client can make the server hold is bounded in bytes.</summary>
public sealed class ClientMemoryTests
{
    private const int ReplyLimit = 64 * 1024;

    /// <summary>A batch of <paramref name="count"/> users.check calls whose ids are <paramref name="idLength"/> characters, so each reply is about that big.</summary>
    private static string FatBatch(int count, int idLength, string tag = "") =>
        "[" + string.Join(",", Enumerable.Range(0, count).Select(i =>
            $$"""{"jsonrpc":"2.0","method":"users.check","params":["nobody"],"id":"{{i:D4}}{{tag}}{{new string('x', idLength)}}"}""")) + "]";

    [Test]
    public async Task BatchReply_PastItsByteLimit_AnswersTheRestWithAnError_WithoutRunningThem()
    {
        await using var server = await RpcTestServer.StartAsync(new Dictionary<string, string?> { ["Rpc:MaxBatchReplyBytes"] = ReplyLimit.ToString() });
        var name = "late" + Guid.NewGuid().ToString("N")[..10];
        var members = Enumerable.Range(0, 20).Select(i =>
            $$"""{"jsonrpc":"2.0","method":"users.check","params":["nobody"],"id":"{{i:D4}}{{new string('x', 8 * 1024)}}"}""").ToList();
        members.Add($$"""{"jsonrpc":"2.0","method":"users.create","params":{"username":"{{name}}","password":"correct horse battery"},"id":"create"}""");
        members.Add("""{"jsonrpc":"2.0","method":"users.check","params":["nobody"]}""");
        var reply = await server.PostJsonAsync("[" + string.Join(",", members) + "]");

        var answers = reply.EnumerateArray().ToList();
        Assert.That(answers, Has.Count.EqualTo(21), "every member with an id is answered; the notification is not");
        var answered = answers.TakeWhile(a => a.TryGetProperty("result", out _)).Count();
        Assert.That(answered, Is.InRange(7, 9), "about 64 KiB of 8 KiB replies, then no more");
        foreach (var refused in answers.Skip(answered))
        {
            Assert.That(refused.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32600));
            Assert.That(refused.GetProperty("error").GetProperty("data").GetString(), Is.EqualTo($"the batch reply passed {ReplyLimit} bytes; this request was not run"));
        }

        Assert.That(answers[^1].GetProperty("id").GetString(), Is.EqualTo("create"));
        Assert.That((await server.ResultAsync("users.check", new { username = name })).GetBoolean(), Is.False, "the refused users.create did not run: the name is free");
    }

    [TestCase("Gateway:MaxQueuedBytes", TestName = "WebSocket_ClientThatSendsBatchesAndNeverReads_IsClosedWith4008_ByItsOwnQueueBound")]
    [TestCase("Gateway:MaxQueuedReplyBytesTotal", TestName = "WebSocket_ClientThatSendsBatchesAndNeverReads_IsClosedWith4008_ByTheServersReplyBound")]
    [TestCase("Gateway:MaxQueuedReplyBytesPerAddress", TestName = "WebSocket_ClientThatSendsBatchesAndNeverReads_IsClosedWith4008_ByItsAddresssReplyBound")]
    public async Task WebSocket_ClientThatSendsBatchesAndNeverReads_IsClosedWith4008(string bound)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Gateway:MaxQueuedBytes"] = (256L * 1024 * 1024).ToString(),
            ["Gateway:MaxQueuedReplyBytesTotal"] = (256L * 1024 * 1024).ToString(),
            ["Gateway:MaxQueuedReplyBytesPerAddress"] = (256L * 1024 * 1024).ToString(),
            ["Gateway:SendTimeout"] = "00:01:00",
        };
        settings[bound] = (1024 * 1024).ToString();
        await using var server = await RpcTestServer.StartAsync(settings);
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(server.WebSocketUri, CancellationToken.None);
        var batch = Encoding.UTF8.GetBytes(FatBatch(50, 10 * 1024));
        using var sending = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var sent = 0;
        for (; sent < 40; sent++)
        {
            await socket.SendAsync(batch, WebSocketMessageType.Text, true, sending.Token);
        }

        // Now read: what was already in flight, then the close (none on today's main: it waits for us forever).
        var buffer = new byte[1024 * 1024];
        using var reading = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var replies = 0;
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, reading.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                replies += result.EndOfMessage ? 1 : 0;
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"not closed: {replies} of {sent} replies arrived and the connection stayed open");
        }

        Assert.That((int?)socket.CloseStatus, Is.EqualTo(4008));
        Assert.That(replies, Is.LessThan(sent), "the queued replies were dropped, not all sent");
    }

    /// <remarks>With <c>Gateway:SocketSendBufferBytes</c> 0 (the system's buffer) the same connection was still open after four send timeouts.</remarks>
    [Test]
    public async Task WebSocket_ClientThatNeverReads_IsDroppedWithinTheSendTimeout_ThroughTheKernelsSendBuffer()
    {
        // The queue bounds are far away: only a write that cannot go out within the send timeout can end the connection.
        await using var server = await RpcTestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:MaxQueuedBytes"] = (256L * 1024 * 1024).ToString(),
            ["Gateway:MaxQueuedReplyBytesTotal"] = (256L * 1024 * 1024).ToString(),
            ["Gateway:MaxQueuedReplyBytesPerAddress"] = (256L * 1024 * 1024).ToString(),
            ["Gateway:SendTimeout"] = "00:00:01",
            ["Gateway:SocketSendBufferBytes"] = (64 * 1024).ToString(),
        });
        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                // A client whose own receive buffer stays small, as one that never reads keeps it.
                var tcp = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { ReceiveBufferSize = 64 * 1024 };
                await tcp.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new System.Net.Sockets.NetworkStream(tcp, ownsSocket: true);
            },
        };
        using var invoker = new HttpMessageInvoker(handler);
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(server.WebSocketUri, invoker, CancellationToken.None);

        // Four replies of about 500 KB: 2 MB, which the system's send buffer (up to 4 MiB) takes whole.
        var batch = Encoding.UTF8.GetBytes(FatBatch(50, 10 * 1024));
        for (var i = 0; i < 4; i++)
        {
            await socket.SendAsync(batch, WebSocketMessageType.Text, true, CancellationToken.None);
        }

        var open = server.Get<Rpc.Server.Transport.OpenWebSockets>();
        await Eventually.WaitUntilAsync(() => open.Count == 0, TimeSpan.FromSeconds(20), "the server still holds the connection of a client that reads nothing");
    }

    [Test]
    public async Task HttpConnections_PastPerAddressLimit_Refused429_KeepAliveIncluded_OtherAddressesUnaffected()
    {
        await using var server = await RpcTestServer.StartAsync(new Dictionary<string, string?> { ["Connections:MaxConnectionsPerAddress"] = "3" });
        var held = new List<RawHttp>();
        for (var i = 0; i < 3; i++)
        {
            var connection = await RawHttp.ConnectAsync(server.BaseUri, IPAddress.Loopback);
            held.Add(connection);
            Assert.That((await connection.CheckAsync(server.BaseUri)).Status, Is.EqualTo(200), "keep-alive connections within the limit work");
        }

        using var fourth = await RawHttp.ConnectAsync(server.BaseUri, IPAddress.Loopback);
        var refused = await fourth.CheckAsync(server.BaseUri);
        Assert.That(refused.Status, Is.EqualTo(429));
        Assert.That(refused.Body.GetProperty("error").GetProperty("data").GetString(), Is.EqualTo("too many connections from this address"));
        Assert.That(await fourth.IsClosedAsync(), Is.True, "the refused connection is closed after its answer");

        // Another client address (Linux routes all of 127/8 to loopback) has its own count.
        using var elsewhere = await RawHttp.ConnectAsync(server.BaseUri, IPAddress.Parse("127.0.0.2"));
        Assert.That((await elsewhere.CheckAsync(server.BaseUri)).Status, Is.EqualTo(200));

        held[0].Dispose();
        await Eventually.WaitUntilAsync(() => server.Get<Rpc.Server.Transport.ConnectionAdmission>().OpenFrom("127.0.0.1") <= 2);

        using var again = await RawHttp.ConnectAsync(server.BaseUri, IPAddress.Loopback);
        Assert.That((await again.CheckAsync(server.BaseUri)).Status, Is.EqualTo(200), "a closed connection frees its slot");
        foreach (var connection in held.Skip(1))
        {
            Assert.That((await connection.CheckAsync(server.BaseUri)).Status, Is.EqualTo(200), "kept-alive connections keep working");
            connection.Dispose();
        }
    }

    /// <summary>HTTP/1.1 over a raw socket bound to a chosen source address, one request at a time on a kept-alive connection.</summary>
    private sealed class RawHttp : IDisposable
    {
        private readonly Socket socket;
        private readonly NetworkStream stream;

        private RawHttp(Socket socket)
        {
            this.socket = socket;
            stream = new NetworkStream(socket, ownsSocket: true);
        }

        public static async Task<RawHttp> ConnectAsync(Uri server, IPAddress source)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(source, 0));
            await socket.ConnectAsync(IPAddress.Parse(server.Host), server.Port);
            return new RawHttp(socket);
        }

        public async Task<(int Status, JsonElement Body)> CheckAsync(Uri server)
        {
            var body = """{"jsonrpc":"2.0","method":"users.check","params":["nobody"],"id":1}""";
            var request = $"POST /rpc HTTP/1.1\r\nHost: {server.Authority}\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n{body}";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
            var received = new List<byte>();
            var buffer = new byte[4096];
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            while (true)
            {
                var text = Encoding.UTF8.GetString(received.ToArray());
                var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                if (end >= 0)
                {
                    var length = int.Parse(text[..end].Split("\r\n").Single(h => h.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))[15..].Trim());
                    if (received.Count >= end + 4 + length)
                    {
                        var status = int.Parse(text[9..12]);
                        return (status, JsonDocument.Parse(text.Substring(end + 4, length)).RootElement.Clone());
                    }
                }

                var n = await stream.ReadAsync(buffer, timeout.Token);
                if (n == 0)
                {
                    throw new IOException("the server closed the connection before answering");
                }

                received.AddRange(buffer.AsSpan(0, n).ToArray());
            }
        }

        public async Task<bool> IsClosedAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                return await stream.ReadAsync(new byte[1], timeout.Token) == 0;
            }
            catch (IOException)
            {
                return true;
            }
        }

        public void Dispose()
        {
            stream.Dispose();
            socket.Dispose();
        }
    }
}
