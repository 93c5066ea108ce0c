namespace Rpc.Server.Events;

/// <summary>Who an event is for. The gateway resolves an audience to connections, each only for what its user may see.</summary>
public abstract record EventAudience
{
    private EventAudience()
    {
    }

    /// <summary>The connections of these users.</summary>
    public sealed record Users(IReadOnlyCollection<long> UserIds) : EventAudience;

    /// <summary>The connections of every member of a guild.</summary>
    public sealed record GuildMembers(long GuildId) : EventAudience;

    /// <summary>The user itself and its observers: guild mates and friends, except across a block (user updates).</summary>
    public sealed record UserAndObservers(long UserId) : EventAudience;

    /// <summary>The user's observers, not the user itself (what others may see of its presence).</summary>
    public sealed record Observers(long UserId) : EventAudience;

    /// <summary>Connections of staff users who subscribed to staff events.</summary>
    public sealed record Staff : EventAudience;
}

/// <summary>What the bus carries.</summary>
public abstract record BusMessage;

/// <summary>An event to push to connections: JSON-RPC notification <c>gateway.event</c> with <c>{t, s, d}</c>.</summary>
/// <param name="Name">The event name, <c>t</c> (e.g. <c>PRESENCE_UPDATE</c>).</param>
/// <param name="Payload">The payload, <c>d</c>, serialized with the API's JSON conventions.</param>
/// <param name="Audience">Who receives it.</param>
public sealed record DispatchEvent(string Name, object Payload, EventAudience Audience) : BusMessage;

/// <summary>Closes gateway connections: of one session, or of every session of a user.</summary>
/// <param name="UserId">The user whose connections close.</param>
/// <param name="SessionId">Only this session's connections; null for all of the user's.</param>
/// <param name="CloseCode">The WebSocket close code (see <c>GatewayCloseCodes</c>).</param>
/// <param name="Reason">The close reason sent with it.</param>
public sealed record CloseConnections(long UserId, long? SessionId, int CloseCode, string Reason) : BusMessage;

/// <summary>A username was taken, changed or freed: cached <c>users.check</c> answers are stale, on every server.</summary>
public sealed record UsernamesChanged : BusMessage;

/// <summary>
/// A login attempt reserved (or, with <paramref name="Refund"/>, given back after a right password) on the
/// server <paramref name="Origin"/>; the other servers mirror it, so the limits count attempts made anywhere.
/// </summary>
public sealed record LoginCharge(Guid Origin, string Pair, string Account, string Address, bool Refund) : BusMessage;

/// <summary>An account creation counted on the server <paramref name="Origin"/>, mirrored by the others.</summary>
public sealed record CreateCharge(Guid Origin, string Address) : BusMessage;

/// <summary>
/// Where services publish what the gateway must push or do. The in-process bus delivers to the sinks
/// of this node; a cross-node bus can implement the same interface later without touching services.
/// </summary>
public interface IEventBus
{
    void Publish(BusMessage message);
}

/// <summary>A consumer of bus messages (the gateway; tests).</summary>
public interface IEventSink
{
    void Deliver(BusMessage message);
}

/// <summary>
/// Delivers each message synchronously to every sink subscribed in this process. Sinks subscribe
/// themselves through <see cref="EventSinkSubscriptions"/> at start-up, so the bus depends on none of
/// them: the gateway is a sink and also depends on services that publish.
/// </summary>
public sealed class InProcessEventBus(ILogger<InProcessEventBus> logger) : IEventBus
{
    private readonly Lock gate = new();
    private volatile IEventSink[] sinks = [];

    /// <summary>Adds <paramref name="sink"/> to those every later message is delivered to.</summary>
    public void Subscribe(IEventSink sink)
    {
        lock (gate)
        {
            sinks = [.. sinks, sink];
        }
    }

    public void Publish(BusMessage message)
    {
        foreach (var sink in sinks)
        {
            try
            {
                sink.Deliver(message);
            }
            catch (Exception e)
            {
                // A failing consumer must not fail the change that was already committed.
                logger.LogError(e, "Event sink {Sink} failed on {Message}", sink.GetType().Name, message.GetType().Name);
            }
        }
    }
}

/// <summary>
/// Subscribes every registered <see cref="IEventSink"/> to the in-process bus when the server starts,
/// before the hosted services that receive or publish; registered first of them for that reason.
/// </summary>
public sealed class EventSinkSubscriptions(InProcessEventBus bus, IEnumerable<IEventSink> sinks) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var sink in sinks)
        {
            bus.Subscribe(sink);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
