using Rpc.Server.Transport;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Transport;

/// <summary>What all the WebSockets of one client address hold together: messages in flight and unwritten replies.</summary>
public sealed class AddressLoadTests
{
    [Test]
    public async Task Reserve_PastTheBound_WaitsInOrderUntilReleased()
    {
        var load = new AddressLoad(maxInFlightBytes: 100, maxReplyBytes: 100);
        await load.ReserveAsync(60, CancellationToken.None);
        var second = load.ReserveAsync(60, CancellationToken.None);
        var third = load.ReserveAsync(10, CancellationToken.None);
        Assert.That(second.IsCompleted, Is.False, "60 + 60 passes 100");
        Assert.That(third.IsCompleted, Is.False, "a small one does not jump the line");

        load.Release(60);
        await second;
        await third;
        Assert.That(load.InFlightBytes, Is.EqualTo(70));
    }

    [Test]
    public async Task Reserve_WithinItsOwnBound_StillWaitsForRoomAmongAllAddresses()
    {
        var all = new AddressLoad(maxInFlightBytes: 100, maxReplyBytes: long.MaxValue);
        var first = new AddressLoad(maxInFlightBytes: 100, maxReplyBytes: 100, all);
        var second = new AddressLoad(maxInFlightBytes: 100, maxReplyBytes: 100, all);
        await first.ReserveAsync(70, CancellationToken.None);
        var waiting = second.ReserveAsync(70, CancellationToken.None);
        Assert.That(waiting.IsCompleted, Is.False, "70 of the other address's and 70 of its own pass what all may hold");
        Assert.That(second.InFlightBytes, Is.EqualTo(70), "its own room is held meanwhile");

        using var cancel = new CancellationTokenSource();
        var third = new AddressLoad(maxInFlightBytes: 100, maxReplyBytes: 100, all);
        var cancelled = third.ReserveAsync(50, cancel.Token);
        cancel.Cancel();
        Assert.That(async () => await cancelled, Throws.InstanceOf<OperationCanceledException>());
        Assert.That(third.InFlightBytes, Is.Zero, "a cancelled wait for the shared room gives its own room back");

        first.Release(70);
        await waiting;
        Assert.That((all.InFlightBytes, first.InFlightBytes, second.InFlightBytes), Is.EqualTo((70L, 0L, 70L)));
        second.Release(-30);
        Assert.That(all.InFlightBytes, Is.EqualTo(100), "a message that came whole is counted in both at once");
    }

    [Test]
    public async Task Reserve_NothingInFlight_AdmitsEvenMoreThanTheBound()
    {
        var load = new AddressLoad(maxInFlightBytes: 100, maxReplyBytes: 100);
        await load.ReserveAsync(500, CancellationToken.None);
        Assert.That(load.InFlightBytes, Is.EqualTo(500));
    }

    [Test]
    public async Task Reserve_CancelledWaiter_LeavesTheLineAndCountsNothing()
    {
        var load = new AddressLoad(maxInFlightBytes: 100, maxReplyBytes: 100);
        await load.ReserveAsync(100, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var cancelled = load.ReserveAsync(50, cancel.Token);
        var next = load.ReserveAsync(50, CancellationToken.None);
        await cancel.CancelAsync();
        Assert.That(async () => await cancelled, Throws.InstanceOf<OperationCanceledException>());
        load.Release(100);
        await next;
        Assert.That(load.InFlightBytes, Is.EqualTo(50));
    }

    [Test]
    public async Task LargeMessages_OfOneAddress_AreProcessedOneAtATime()
    {
        var load = new AddressLoad(maxInFlightBytes: 100, maxReplyBytes: 100);
        await load.EnterLargeAsync(CancellationToken.None);
        var second = load.EnterLargeAsync(CancellationToken.None);
        Assert.That(second.IsCompleted, Is.False);
        load.LeaveLarge();
        await second;
        load.LeaveLarge();
    }

    [Test]
    public void HoldReply_PastTheBound_RefusedWhileOthersWait_ALoneLargeReplyGoes()
    {
        var load = new AddressLoad(maxInFlightBytes: 100, maxReplyBytes: 100);
        Assert.That(load.TryHoldReply(500), Is.True, "a lone reply larger than the bound");
        Assert.That(load.TryHoldReply(1), Is.False);
        load.ReplyWritten(500);
        Assert.That(load.TryHoldReply(60), Is.True);
        Assert.That(load.TryHoldReply(40), Is.True);
        Assert.That(load.TryHoldReply(1), Is.False);
        Assert.That(load.ReplyBytes, Is.EqualTo(100));
    }

    [Test]
    public async Task WebSockets_OfOneAddressSendingLargeMessagesPastItsBound_AreAllAnsweredInTurn_AndTheLoadReturnsToZero()
    {
        await using var server = await RpcTestServer.StartAsync(new Dictionary<string, string?> { ["Rpc:MaxInFlightBytesPerAddress"] = "1024" });
        var batch = "[" + string.Join(",", Enumerable.Range(0, 10).Select(i =>
            $$"""{"jsonrpc":"2.0","method":"users.check","params":["nobody"],"id":"{{i}}{{new string('x', 2000)}}"}""")) + "]";
        var clients = new List<WsClient>();
        for (var c = 0; c < 3; c++)
        {
            clients.Add(await WsClient.ConnectAsync(server.WebSocketUri));
        }

        var load = server.Get<WebSocketAdmission>().LoadOf("127.0.0.1");
        await Task.WhenAll(clients.Select(async client =>
        {
            for (var i = 0; i < 5; i++)
            {
                await client.SendAsync(batch);
            }

            for (var i = 0; i < 5; i++)
            {
                Assert.That(await client.ReceiveAsync(TimeSpan.FromSeconds(30)), Does.Contain("\"result\":"));
            }
        }));
        Assert.That(server.Get<WebSocketAdmission>().LoadOf("127.0.0.1"), Is.SameAs(load), "one load for every connection of the address");
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((load.InFlightBytes != 0 || load.ReplyBytes != 0) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.That((load.InFlightBytes, load.ReplyBytes), Is.EqualTo((0L, 0L)));
        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }
    }
}
