using System.Diagnostics;
using Rpc.Contracts.Protocol;

namespace Rpc.Server.Operations;

/// <summary>
/// One JSON-RPC call as the operator sees it: a span on <see cref="SourceName"/> (method, transport,
/// outcome, user id; never params) and a sample of <c>rpc.server.call.duration</c>. The dispatcher
/// starts one per request object and ends it with the outcome.
/// </summary>
public sealed class CallTelemetry : IDisposable
{
    public const string SourceName = "Rpc.Server";

    /// <summary>The method label of requests whose method does not exist (the label set stays bounded).</summary>
    public const string UnknownMethod = "(unknown)";

    private static readonly ActivitySource Source = new(SourceName, ServerVersion.Informational);
    private readonly Activity? activity;
    private readonly string method;
    private readonly string transport;
    private readonly long started = Stopwatch.GetTimestamp();
    private string outcome = "ok";

    private CallTelemetry(string method, string transport)
    {
        this.method = method;
        this.transport = transport;
        activity = Source.StartActivity(method, ActivityKind.Server);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("rpc.system", "jsonrpc");
            activity.SetTag("rpc.method", method);
            activity.SetTag("rpc.transport", transport);
        }
    }

    /// <summary>Starts the span and the clock of a call to <paramref name="method"/> (already bounded to known names).</summary>
    public static CallTelemetry Start(string method, bool webSocket) => new(method, webSocket ? "websocket" : "http");

    /// <summary>
    /// The id an error reply and the log share: the call's trace id, so an operator with traces finds the
    /// span from the id a user reports; a fresh random id when no span is recorded.
    /// </summary>
    public string CorrelationId => (activity?.TraceId ?? ActivityTraceId.CreateRandom()).ToHexString();

    /// <summary>The authenticated caller, once known.</summary>
    public void SetUser(long userId)
    {
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("enduser.id", userId);
        }
    }

    /// <summary>The call failed with JSON-RPC error <paramref name="code"/>.</summary>
    public void Failed(int code, string kind)
    {
        outcome = kind;
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("rpc.jsonrpc.error_code", code);
            activity.SetStatus(ActivityStatusCode.Error, kind);
        }
    }

    /// <summary>The outcome label of an error code.</summary>
    public static string KindOf(int code) => code switch
    {
        RpcErrorCodes.InvalidRequest => "invalid_request",
        RpcErrorCodes.MethodNotFound => "method_not_found",
        RpcErrorCodes.InvalidParams => "invalid_params",
        RpcErrorCodes.ParseError => "parse_error",
        _ => "error",
    };

    public void Dispose()
    {
        activity?.SetTag("rpc.outcome", outcome);
        activity?.Dispose();
        ServerMetrics.CallCompleted(method, outcome, transport, Stopwatch.GetElapsedTime(started));
    }
}
