using System.Collections.Concurrent;
using Rpc.Server.Gateway;
using Rpc.Server.Services;

namespace Rpc.Tests.Infrastructure;

/// <summary>Staff users for admin tests, made the way the <c>manage make-staff</c> command makes them.</summary>
public static class StaffUsers
{
    public static async Task<TestUser> NewStaffAsync(this RpcTestServer server)
    {
        var user = await server.NewUserAsync("staff");
        var (change, _) = await server.Get<StaffRoster>().SetStaffAsync(user.Username, true, CancellationToken.None);
        Assert.That(change, Is.EqualTo(StaffChange.Changed));
        return user;
    }
}

/// <summary>Keeps every message published on the event bus, for tests that check what was pushed.</summary>
public sealed class CapturingEventSink : IEventSink
{
    public ConcurrentQueue<BusMessage> Messages { get; } = new();

    public void Deliver(BusMessage message) => Messages.Enqueue(message);
}
