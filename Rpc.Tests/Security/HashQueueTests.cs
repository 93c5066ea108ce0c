using System.Text.Json;
using Rpc.Server.Dispatch;
using Rpc.Server.Security;
using Rpc.Tests.Infrastructure;
using Rpc.Server.Errors;

namespace Rpc.Tests.Security;

/// <summary>The password-hash queue: bounded, fair between addresses, and at most a few hashes per message.</summary>
public sealed class HashQueueTests
{
    private const string Password = "correct horse battery";

    [Test]
    public async Task Queue_FloodFromOneAddress_AnotherAddressIsServedNext()
    {
        var queue = new HashQueue(slots: 1, maxQueued: 100, maxQueuedPerAddress: 100, maxRunningPerAddress: 1);
        await queue.EnterAsync("flood", CancellationToken.None);
        var flood = Enumerable.Range(0, 20).Select(_ => queue.EnterAsync("flood", CancellationToken.None)).ToList();
        var other = queue.EnterAsync("other", CancellationToken.None);

        queue.Release("flood");
        Assert.That(flood[0].IsCompleted, Is.True, "the flood's first waiter had the first turn");
        queue.Release("flood");
        Assert.That(other.IsCompleted, Is.True, "the other address is served after one hash of the flood, not after twenty");
        Assert.That(flood.Skip(1).Any(t => t.IsCompleted), Is.False);
        await Task.WhenAll(flood[0], other);
    }

    [Test]
    public async Task Queue_OneAddressRunsAtMostItsShare_TheOtherSlotsWaitForOtherAddresses()
    {
        var queue = new HashQueue(slots: 4, maxQueued: 100, maxQueuedPerAddress: 100, maxRunningPerAddress: 2, "local");
        await queue.EnterAsync("flood", CancellationToken.None);
        await queue.EnterAsync("flood", CancellationToken.None);
        var third = queue.EnterAsync("flood", CancellationToken.None);
        Assert.That(third.IsCompleted, Is.False, "two slots stay free, but not for the address that holds its share");

        await queue.EnterAsync("other", CancellationToken.None);
        queue.Release("other");
        Assert.That(third.IsCompleted, Is.False, "a slot freed by another address does not lift the flood's cap");

        queue.Release("flood");
        Assert.That(third.IsCompleted, Is.True, "the flood's own slot goes to its next hash");
        await third;

        // The server's own work is not a client address and may take every slot left.
        await queue.EnterAsync("local", CancellationToken.None);
        await queue.EnterAsync("local", CancellationToken.None);
        Assert.That(queue.EnterAsync("local", CancellationToken.None).IsCompleted, Is.False, "four slots in all");
    }

    [Test]
    public async Task Queue_Full_FailsAtOnceWithBusy_PerAddressAndInAll()
    {
        var queue = new HashQueue(slots: 1, maxQueued: 3, maxQueuedPerAddress: 2, maxRunningPerAddress: 1);
        await queue.EnterAsync("a", CancellationToken.None);
        _ = queue.EnterAsync("a", CancellationToken.None);
        _ = queue.EnterAsync("a", CancellationToken.None);
        var perAddress = Assert.Throws<ServiceException>(() => queue.EnterAsync("a", CancellationToken.None));
        Assert.That(perAddress!.ErrorData, Is.EqualTo("the server is busy; retry in a moment"));

        _ = queue.EnterAsync("b", CancellationToken.None);
        var inAll = Assert.Throws<ServiceException>(() => queue.EnterAsync("c", CancellationToken.None));
        Assert.That(inAll!.ErrorData, Is.EqualTo("the server is busy; retry in a moment"));
        Assert.That(queue.Queued, Is.EqualTo(3));
    }

    [Test]
    public async Task Queue_CancelledWaiter_LeavesTheLineAndGetsNoSlot()
    {
        var queue = new HashQueue(slots: 1, maxQueued: 10, maxQueuedPerAddress: 10, maxRunningPerAddress: 1);
        await queue.EnterAsync("a", CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var cancelled = queue.EnterAsync("a", cancel.Token);
        var next = queue.EnterAsync("b", CancellationToken.None);
        cancel.Cancel();
        Assert.That(cancelled.IsCanceled, Is.True);
        Assert.That(queue.Queued, Is.EqualTo(1));
        queue.Release("a");
        await next;
        queue.Release("b");
        await queue.EnterAsync("c", CancellationToken.None);
    }

    [TestCase(TransportKind.Http)]
    [TestCase(TransportKind.WebSocket)]
    public async Task Batch_FiveRegistrations_FifthGetsTooManyPasswordChecks(TransportKind transport)
    {
        var server = SharedServer.Instance;
        await using var ws = transport == TransportKind.WebSocket ? await WsClient.ConnectAsync(server.WebSocketUri) : null;
        Task<JsonElement> SendAsync(string body) => ws is null ? server.PostJsonAsync(body) : ws.CallAsync(body);
        var prefix = "hq" + Guid.NewGuid().ToString("N")[..8];
        string Create(int i) => JsonSerializer.Serialize(new { jsonrpc = "2.0", method = "users.create", @params = new { username = prefix + i, password = Password }, id = i });
        var members = Enumerable.Range(1, 5).Select(Create).Append(JsonSerializer.Serialize(new { jsonrpc = "2.0", method = "users.check", @params = new { username = prefix + 1 }, id = 6 }));
        var reply = await SendAsync("[" + string.Join(",", members) + "]");
        var byId = reply.EnumerateArray().ToDictionary(r => r.GetProperty("id").GetInt32());
        for (var i = 1; i <= 4; i++)
        {
            Assert.That(byId[i].TryGetProperty("result", out _), Is.True, byId[i].ToString());
        }

        Assert.That(byId[5].GetProperty("error").GetProperty("data").GetString(), Is.EqualTo("too many password checks in one message"));
        Assert.That(byId[6].GetProperty("result").GetBoolean(), Is.True, "members that hash nothing are not limited");
        Assert.That((await server.ResultAsync("users.check", new { username = prefix + 5 })).GetBoolean(), Is.False, "the refused member created nothing");

        // The allowance is per message: the next message has its own.
        var single = await SendAsync(Create(5));
        Assert.That(single.TryGetProperty("result", out _), Is.True, single.ToString());
    }

    [Test]
    public async Task Batch_FiveLogins_FifthGetsTooManyPasswordChecks()
    {
        var server = SharedServer.Instance;
        var user = await server.NewUserAsync("hq");
        var members = Enumerable.Range(1, 5).Select(i => JsonSerializer.Serialize(new { jsonrpc = "2.0", method = "users.auth", @params = new { username = user.Username, password = Password }, id = i }));
        var reply = await server.PostJsonAsync("[" + string.Join(",", members) + "]");
        var data = reply.EnumerateArray().OrderBy(r => r.GetProperty("id").GetInt32())
            .Select(r => r.TryGetProperty("error", out var e) ? e.GetProperty("data").GetString() : "ok").ToList();
        Assert.That(data, Is.EqualTo(new[] { "ok", "ok", "ok", "ok", "too many password checks in one message" }));
    }

    [Test]
    public async Task Batch_ChangePasswordCountsTwo()
    {
        var server = SharedServer.Instance;
        var user = await server.NewUserAsync("hq");
        var auth = JsonSerializer.Serialize(new { jsonrpc = "2.0", method = "users.auth", @params = new { username = user.Username, password = Password }, id = 1 });
        var change = JsonSerializer.Serialize(new { jsonrpc = "2.0", method = "users.changePassword", auth = user.Token, @params = new { old_password = Password, new_password = "another horse battery" }, id = 9 });
        var reply = await server.PostJsonAsync($"[{auth},{auth.Replace("\"id\":1", "\"id\":2")},{auth.Replace("\"id\":1", "\"id\":3")},{change}]");
        var changed = reply.EnumerateArray().Single(r => r.GetProperty("id").GetInt32() == 9);
        Assert.That(changed.GetProperty("error").GetProperty("data").GetString(), Is.EqualTo("too many password checks in one message"));
        await server.ResultAsync("users.auth", new { username = user.Username, password = Password });
    }

    [Test]
    public async Task Auth_QueueFullForThisAddress_FailsAtOnceWithBusy()
    {
        await using var server = await RpcTestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Passwords:MaxConcurrentHashes"] = "1",
            ["Passwords:MaxQueuedHashesPerAddress"] = "1",
            ["Passwords:Iterations"] = "8",
        });
        var user = await server.NewUserAsync("hq");
        var replies = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => server.CallAsync("users.auth", new { username = user.Username, password = Password })));
        var busy = replies.Count(r => r.TryGetProperty("error", out var e) && e.GetProperty("data").GetString() == "the server is busy; retry in a moment");
        Assert.That(busy, Is.GreaterThanOrEqualTo(1), string.Join("\n", replies));
        Assert.That(replies.Count(r => r.TryGetProperty("result", out _)), Is.GreaterThanOrEqualTo(1));
        Assert.That(busy + replies.Count(r => r.TryGetProperty("result", out _)), Is.EqualTo(6), "every call either logged in or was told the server is busy");
    }
}
