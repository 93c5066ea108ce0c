using System.Net.WebSockets;
using Rpc.Server.Transport;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Transport;

/// <summary>The buffered stream under a WebSocket (issue #18): queued frames go out in one write, nothing waits once the queue is empty.</summary>
public sealed class CoalescingWriteStreamTests
{
    [Test]
    public async Task Corked_WritesWaitUntilUncorked_ThenGoOutInOneWrite()
    {
        var inner = new CountingStream();
        await using var stream = new CoalescingWriteStream(inner);
        stream.Cork();
        await stream.WriteAsync(new byte[] { 1, 2 });
        await stream.WriteAsync(new byte[] { 3 });
        Assert.That(inner.Writes, Is.Zero, "nothing is written while corked");

        await stream.UncorkAsync(CancellationToken.None);
        Assert.That(inner.Writes, Is.EqualTo(1));
        Assert.That(inner.ToArray(), Is.EqualTo(new byte[] { 1, 2, 3 }));

        await stream.WriteAsync(new byte[] { 4 });
        Assert.That(inner.Writes, Is.EqualTo(2), "uncorked, a write (a ping between bursts) goes straight through");
    }

    [Test]
    public async Task Corked_PastItsCapacity_WritesWhatWaitsAndKeepsTheOrder()
    {
        var inner = new CountingStream();
        await using var stream = new CoalescingWriteStream(inner);
        stream.Cork();
        var big = new byte[CoalescingWriteStream.Capacity - 1];
        big[0] = 7;
        await stream.WriteAsync(new byte[] { 1 });
        await stream.WriteAsync(big);
        await stream.WriteAsync(new byte[] { 9 });
        await stream.WriteAsync(new byte[CoalescingWriteStream.Capacity + 1]);
        await stream.UncorkAsync(CancellationToken.None);
        var written = inner.ToArray();
        Assert.That(written, Has.Length.EqualTo(1 + big.Length + 1 + CoalescingWriteStream.Capacity + 1));
        Assert.That(new[] { written[0], written[1], written[1 + big.Length] }, Is.EqualTo(new byte[] { 1, 7, 9 }));
        Assert.That(inner.Writes, Is.EqualTo(3), "the first two together, the third alone, the oversized frame directly");
    }

    [Test]
    public async Task WebSocket_ManyRepliesQueued_EachArrivesWholeAndOnce()
    {
        // 64 requests in one go over a real connection: whatever is coalesced, every reply arrives whole.
        var server = SharedServer.Instance;
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(server.WebSocketUri, CancellationToken.None);
        for (var i = 0; i < 64; i++)
        {
            var request = System.Text.Encoding.UTF8.GetBytes($$"""{"jsonrpc":"2.0","method":"users.check","params":{"username":"c{{i}}x"},"id":{{i}}}""");
            await socket.SendAsync(request, WebSocketMessageType.Text, true, CancellationToken.None);
        }

        var ids = new HashSet<int>();
        var buffer = new byte[4096];
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (ids.Count < 64)
        {
            var message = new MemoryStream();
            WebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer, deadline.Token);
                message.Write(buffer, 0, result.Count);
            }
            while (!result.EndOfMessage);

            using var reply = System.Text.Json.JsonDocument.Parse(message.ToArray());
            Assert.That(reply.RootElement.GetProperty("result").ValueKind, Is.EqualTo(System.Text.Json.JsonValueKind.False));
            Assert.That(ids.Add(reply.RootElement.GetProperty("id").GetInt32()), Is.True, "each reply once");
        }

        Assert.That(ids, Has.Count.EqualTo(64));
    }

    private sealed class CountingStream : MemoryStream
    {
        public int Writes { get; private set; }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Writes++;
            return base.WriteAsync(buffer, cancellationToken);
        }
    }
}
