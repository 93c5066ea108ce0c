using System.Collections.Concurrent;
using Dapper;
using Microsoft.Data.Sqlite;
using Rpc.Server.Gateway;
using Rpc.Server.Events;

namespace Rpc.Tests.Infrastructure;

/// <summary>Staff users for tests: the Staff flag (bit 0) set directly in the test database.</summary>
public static class TestStaff
{
    /// <summary>Creates and logs in a staff user, as <c>manage make-staff</c> makes one.</summary>
    public static Task<TestUser> CreateStaffAsync(RpcTestServer server) => server.NewStaffAsync();

    /// <summary>Runs a query on the test database, outside the server.</summary>
    public static async Task<T> QueryScalarAsync<T>(RpcTestServer server, string sql, object? parameters = null)
    {
        await using var connection = await server.OpenDatabaseAsync();
        return (await connection.ExecuteScalarAsync<T>(sql, parameters))!;
    }

    /// <summary>A random Discord-like snowflake (18 digits).</summary>
    public static string NewDiscordId() => Random.Shared.NextInt64(100_000_000_000_000_000, 999_999_999_999_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>An <see cref="IEventSink"/> that records what the bus publishes, for tests to await.</summary>
public sealed class CapturingEventSink : IEventSink
{
    private readonly ConcurrentQueue<BusMessage> messages = new();
    private readonly object gate = new();
    private readonly List<(Func<BusMessage, bool> Match, TaskCompletionSource<BusMessage> Done)> waiters = [];

    public IReadOnlyCollection<BusMessage> Messages => messages;

    public void Deliver(BusMessage message)
    {
        messages.Enqueue(message);
        lock (gate)
        {
            foreach (var waiter in waiters.Where(w => w.Match(message)).ToList())
            {
                waiters.Remove(waiter);
                waiter.Done.TrySetResult(message);
            }
        }
    }

    /// <summary>The dispatch events published so far that match.</summary>
    public IReadOnlyList<DispatchEvent> Events(Func<DispatchEvent, bool> match) =>
        messages.OfType<DispatchEvent>().Where(match).ToList();

    /// <summary>Waits (up to 10 s of real time) for a matching message, published before or after the call.</summary>
    public async Task<DispatchEvent> WaitForAsync(Func<DispatchEvent, bool> match)
    {
        bool Matches(BusMessage m) => m is DispatchEvent e && match(e);
        TaskCompletionSource<BusMessage> done;
        lock (gate)
        {
            if (messages.FirstOrDefault(Matches) is DispatchEvent already)
            {
                return already;
            }

            done = new TaskCompletionSource<BusMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
            waiters.Add((Matches, done));
        }

        return (DispatchEvent)await done.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
