using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Rpc.Server.Operations;

/// <summary>
/// Every metric the server records itself, on the platform's <see cref="Meter"/> (exported at
/// <c>/metrics</c> by OpenTelemetry's Prometheus exporter, and over OTLP when configured). The hooks
/// are one-line static calls, so code that records a metric needs no constructor change. Names follow
/// OpenTelemetry's conventions; the exporter turns <c>rpc.server.call.duration</c> (unit s) into
/// <c>rpc_server_call_duration_seconds</c> and counters into <c>…_total</c>.
/// </summary>
public static class ServerMetrics
{
    public const string MeterName = "Rpc.Server";

    private static readonly Meter Meter = new(MeterName, ServerVersion.Informational);

    private static readonly Histogram<double> CallDuration = Meter.CreateHistogram(
        "rpc.server.call.duration", "s", "JSON-RPC calls by method, outcome and transport, with their duration",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });

    private static readonly UpDownCounter<long> WebSockets = Meter.CreateUpDownCounter<long>("rpc.websockets.open", "{connection}", "open WebSocket connections");
    private static readonly UpDownCounter<long> GatewaySessions = Meter.CreateUpDownCounter<long>("rpc.gateway.sessions.attached", "{session}", "gateway sessions attached to a connection");
    private static readonly Counter<long> EventsSent = Meter.CreateCounter<long>("rpc.gateway.events.sent", "{event}", "gateway event frames queued to a connection");
    private static readonly Counter<long> EventsDropped = Meter.CreateCounter<long>("rpc.gateway.events.dropped", "{event}", "gateway event frames a full connection queue could not take");
    private static readonly Counter<long> SlowConsumers = Meter.CreateCounter<long>("rpc.gateway.slow_consumer.closes", "{connection}", "connections closed as slow consumers (4008)");
    private static readonly Counter<long> RateLimitRefusals = Meter.CreateCounter<long>("rpc.rate_limit.refusals", "{refusal}", "requests refused by a rate or connection limit, by limiter");
    private static readonly UpDownCounter<long> HashQueue = Meter.CreateUpDownCounter<long>("rpc.passwords.hash_queue.length", "{hash}", "password hashes waiting for a hashing slot");
    private static readonly Histogram<double> HashWait = Meter.CreateHistogram(
        "rpc.passwords.hash_queue.wait", "s", "time a password hash waited for a hashing slot",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
    private static readonly Histogram<double> PacingWait = Meter.CreateHistogram(
        "rpc.pacing.wait", "s", "time a message waited for its client address's pace (Rpc:PacedBytesPerSecondPerAddress)",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
    private static readonly Counter<long> HttpRefusals = Meter.CreateCounter<long>("rpc.http.refusals", "{response}", "HTTP requests refused before any JSON-RPC call ran, by status code: 404 below /rpc/, 405, 413, 415 and 429 of /rpc, the 429 of a connection past its address's limit, and a refused WebSocket upgrade (401, 403, 429, 503)");
    private static readonly Counter<long> DatabaseBusy = Meter.CreateCounter<long>("rpc.database.busy_errors", "{error}", "calls answered 'database busy or unavailable'");
    // Counted in two fields and read at each collection: an Add on a counter looks its labels up on every call, and
    // users.check is the hottest anonymous call (issue #18).
    private static long checkCacheHits;
    private static long checkCacheMisses;
    private static readonly ObservableCounter<long> CheckCache = Meter.CreateObservableCounter(
        "rpc.users_check.cache.lookups",
        () => new[]
        {
            new Measurement<long>(Volatile.Read(ref checkCacheHits), new KeyValuePair<string, object?>("result", "hit")),
            new Measurement<long>(Volatile.Read(ref checkCacheMisses), new KeyValuePair<string, object?>("result", "miss")),
        },
        "{lookup}",
        "users.check answers by cache result (hit or miss)");

    /// <summary>
    /// Records a zero on the counters without labels, once the exporter listens, so a scrape shows them
    /// from the start (a rate of an absent series is no data, not zero).
    /// </summary>
    public static void Publish()
    {
        WebSockets.Add(0);
        GatewaySessions.Add(0);
        EventsSent.Add(0);
        EventsDropped.Add(0);
        SlowConsumers.Add(0);
        HashQueue.Add(0);
        DatabaseBusy.Add(0);
    }

    /// <summary>A call ended: <paramref name="outcome"/> is <c>ok</c> or the error kind (see <see cref="CallTelemetry"/>).</summary>
    public static void CallCompleted(string method, string outcome, string transport, TimeSpan elapsed) =>
        CallDuration.Record(elapsed.TotalSeconds, new TagList { { "rpc.method", method }, { "rpc.outcome", outcome }, { "rpc.transport", transport } });

    public static void WebSocketOpened() => WebSockets.Add(1);

    public static void WebSocketClosed() => WebSockets.Add(-1);

    public static void GatewaySessionAttached() => GatewaySessions.Add(1);

    public static void GatewaySessionDetached() => GatewaySessions.Add(-1);

    public static void EventSent() => EventsSent.Add(1);

    public static void EventDropped() => EventsDropped.Add(1);

    public static void SlowConsumerClosed() => SlowConsumers.Add(1);

    /// <summary>A limit refused a request; <paramref name="limiter"/> names it (snake_case, from a fixed set).</summary>
    public static void RateLimited(string limiter) => RateLimitRefusals.Add(1, new KeyValuePair<string, object?>("limiter", limiter));

    /// <summary>An HTTP request to <c>/rpc</c> was answered with <paramref name="status"/> before any call ran.</summary>
    public static void HttpRefused(int status) => HttpRefusals.Add(1, new KeyValuePair<string, object?>("http.response.status_code", status));

    public static void HashQueued() => HashQueue.Add(1);

    /// <summary>A queued hash got its slot after <paramref name="waited"/>.</summary>
    public static void HashStarted(TimeSpan waited)
    {
        HashQueue.Add(-1);
        HashWait.Record(waited.TotalSeconds);
    }

    /// <summary>A message waited <paramref name="waited"/> for its address's pace.</summary>
    public static void Paced(TimeSpan waited) => PacingWait.Record(waited.TotalSeconds);

    public static void DatabaseBusyError() => DatabaseBusy.Add(1);

    public static void CheckCacheLookup(bool hit) => Interlocked.Increment(ref hit ? ref checkCacheHits : ref checkCacheMisses);
}
