using System.Text.Json.Serialization;
using Rpc.Contracts.Gateway;

namespace Rpc.Server.Events;

/// <summary>Who an event is for. The gateway resolves an audience to connections, each only for what its user may see.</summary>
[JsonPolymorphic]
[JsonDerivedType(typeof(Users), "users")]
[JsonDerivedType(typeof(GuildMembers), "guild_members")]
[JsonDerivedType(typeof(UserAndObservers), "user_and_observers")]
[JsonDerivedType(typeof(Observers), "observers")]
[JsonDerivedType(typeof(Staff), "staff")]
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

/// <summary>What the bus carries; other servers get it as JSON (<see cref="BusMessageCodec"/>), its kind in <c>$type</c>.</summary>
[JsonPolymorphic]
[JsonDerivedType(typeof(DispatchEvent), "event")]
[JsonDerivedType(typeof(CloseConnections), "close")]
[JsonDerivedType(typeof(UsernamesChanged), "usernames_changed")]
[JsonDerivedType(typeof(UserChanged), "user_changed")]
[JsonDerivedType(typeof(LoginCharge), "login_charge")]
[JsonDerivedType(typeof(CreateCharge), "create_charge")]
[JsonDerivedType(typeof(PresenceState), "presence_state")]
[JsonDerivedType(typeof(PresenceChosen), "presence_chosen")]
[JsonDerivedType(typeof(NodeDropped), "node_dropped")]
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
public sealed record CloseConnections(long UserId, long? SessionId, int CloseCode, string Reason) : BusMessage
{
    /// <summary>The close reason sent with <see cref="GatewayCloseCodes.SessionRevoked"/> when a session is ended.</summary>
    public const string RevokedReason = "session revoked";

    /// <summary>Closes the connections of a session that was ended (logout, revocation, password change, displacement): 4004.</summary>
    public static CloseConnections Revoked(long userId, long sessionId) => new(userId, sessionId, GatewayCloseCodes.SessionRevoked, RevokedReason);
}

/// <summary>A username was taken, changed or freed: cached <c>users.check</c> answers are stale, on every server.</summary>
public sealed record UsernamesChanged : BusMessage;

/// <summary>
/// Something only the user's own object shows changed (a Discord link, two-factor login): what servers
/// cached of it is stale. Changes others see publish <c>USER_UPDATE</c>, and ended sessions
/// <see cref="CloseConnections"/>; the caches drop the user on those too.
/// </summary>
public sealed record UserChanged(long UserId) : BusMessage;

/// <summary>
/// A login attempt reserved (or, with <paramref name="Refund"/>, given back after a right password) on the
/// server <paramref name="Origin"/>; the other servers mirror it, so the limits count attempts made anywhere.
/// </summary>
public sealed record LoginCharge(Guid Origin, string Pair, string Account, string Address, bool Refund) : BusMessage;

/// <summary>An account creation counted on the server <paramref name="Origin"/>, mirrored by the others.</summary>
public sealed record CreateCharge(Guid Origin, string Address) : BusMessage;

/// <summary>
/// Whether the server <paramref name="Node"/> holds gateway connections of the user (or keeps it present through
/// the grace period after its last one closed): the other servers count the user online while any live server does.
/// </summary>
public sealed record PresenceState(Guid Node, long UserId, int Connections, bool Present) : BusMessage;

/// <summary>The user chose this status (<c>users.presence</c>) on another server.</summary>
public sealed record PresenceChosen(long UserId, Rpc.Contracts.Users.PresenceStatus Status) : BusMessage;

/// <summary>
/// A server found <paramref name="Node"/>'s presence lease lapsed and dropped the users it held. Sent through the bus so
/// that every server drops them at the same point of the outbox's order, and so that the dropped server, if it is
/// alive after all (its lease renewed after the drop was decided), reads it and claims its users again: its claims
/// then come after the drop everywhere.
/// </summary>
public sealed record NodeDropped(Guid Node) : BusMessage;

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
