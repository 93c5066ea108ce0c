using System.Text.Json;
using Rpc.Contracts.Protocol;
using Rpc.Server.Errors;
using Rpc.Server.Operations;
using Rpc.Server.Security;
using Rpc.Server.Services;

namespace Rpc.Server.Dispatch;

/// <summary>
/// Runs one request object: validates the envelope, finds the method, checks who may call it, binds
/// the params, invokes the service and writes the response. Both transports go through here.
/// </summary>
public sealed class RpcDispatcher(
    RpcMethodTable methods,
    Authenticator authenticator,
    ServiceCallAccessor serviceCalls,
    RpcErrorWriter errors,
    ITransientErrors transientErrors,
    SecurityLog security,
    StaffMfaPolicy staffMfa,
    ILogger<RpcDispatcher> logger)
{
    /// <summary>Dispatches <paramref name="request"/>; returns false when nothing was written (a notification).</summary>
    /// <param name="hashes">The password hashes left to the message this request belongs to (shared by a batch's members).</param>
    public async ValueTask<bool> DispatchAsync(JsonElement request, RequestOrigin origin, HashAllowance hashes, Utf8JsonWriter writer, CancellationToken cancellationToken)
    {
        if (request.ValueKind != JsonValueKind.Object)
        {
            errors.Write(writer, null, RpcErrorCodes.InvalidRequest, "a request must be a JSON object", origin.Culture);
            return true;
        }

        var hasId = request.TryGetProperty("id"u8, out var id);
        if (hasId && id.ValueKind is not (JsonValueKind.String or JsonValueKind.Number or JsonValueKind.Null))
        {
            errors.Write(writer, null, RpcErrorCodes.InvalidRequest, "id must be a string, a number or null", origin.Culture);
            return true;
        }

        JsonElement? replyId = hasId ? id : null;
        var envelopeError = ValidateEnvelope(request, out var methodElement, out var parameters, out var auth);
        if (envelopeError is not null)
        {
            errors.Write(writer, replyId, RpcErrorCodes.InvalidRequest, envelopeError, origin.Culture);
            return true;
        }

        var known = TryFind(methodElement, out var method);
        // A known method's name is its registered string; only an unknown name is decoded, for its error.
        var methodName = known ? method.Name : methodElement.GetString()!;
        using var call = CallTelemetry.Start(known ? methodName : CallTelemetry.UnknownMethod, origin.Connection is not null);
        var context = new CallContext { Origin = origin, Hashes = hashes, Token = auth ?? origin.BearerToken ?? origin.Connection?.Token };
        try
        {
            var value = await InvokeAsync(known ? method : null, methodName, parameters, context, call, cancellationToken).ConfigureAwait(false);
            security.Succeeded(methodName, context.Caller?.UserId, origin.ClientAddress, value);
            if (!hasId)
            {
                return false;
            }

            writer.WriteStartObject();
            writer.WriteString("jsonrpc"u8, "2.0"u8);
            writer.WritePropertyName("id"u8);
            id.WriteTo(writer);
            writer.WritePropertyName("result"u8);
            JsonSerializer.Serialize(writer, value, method.ResultTypeInfo);
            writer.WriteEndObject();
            return true;
        }
        catch (Exception e) when (e is RpcException or ServiceException)
        {
            var (code, data) = e is ServiceException service ? (RpcException.CodeOf(service.Kind), service.ErrorData) : (((RpcException)e).Code, ((RpcException)e).ErrorData);
            call.Failed(code, CallTelemetry.KindOf(code));
            security.Failed(methodName, context.Caller?.UserId, origin.ClientAddress, data);
            if (ErrorData.RetryAfterSeconds(data) is { } seconds)
            {
                origin.NoteRetryAfter(seconds);
            }

            if (!hasId)
            {
                return false;
            }

            errors.Write(writer, replyId, code, data, origin.Culture);
            return true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (transientErrors.IsTransient(e))
        {
            call.Failed(RpcErrorCodes.ApplicationError, "database_busy");
            ServerMetrics.DatabaseBusyError();
            logger.LogWarning(e, "The database did not answer {Method} in time", methodName);
            if (!hasId)
            {
                return false;
            }

            errors.Write(writer, replyId, RpcErrorCodes.ApplicationError, ErrorData.DatabaseBusy, origin.Culture);
            return true;
        }
        catch (Exception e)
        {
            call.Failed(RpcErrorCodes.ApplicationError, "unexpected");
            var correlationId = call.CorrelationId;
            logger.LogError(e, "Unexpected failure in {Method}, correlation id {CorrelationId}", methodName, correlationId);
            if (!hasId)
            {
                return false;
            }

            errors.Write(writer, replyId, RpcErrorCodes.ApplicationError, ErrorData.Unexpected(correlationId), origin.Culture);
            return true;
        }
    }

    /// <summary>
    /// Answers <paramref name="request"/> with the error <paramref name="data"/> without running it; returns false
    /// for a notification, which gets nothing.
    /// </summary>
    public bool Refuse(JsonElement request, RequestOrigin origin, Utf8JsonWriter writer, string data)
    {
        JsonElement? id = null;
        if (request.ValueKind == JsonValueKind.Object)
        {
            if (!request.TryGetProperty("id"u8, out var value))
            {
                return false;
            }

            if (value.ValueKind is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.Null)
            {
                id = value;
            }
        }

        errors.Write(writer, id, RpcErrorCodes.InvalidRequest, data, origin.Culture);
        return true;
    }

    /// <summary>Runs <paramref name="method"/> (null when <paramref name="methodName"/> names none) and returns its result.</summary>
    private async ValueTask<object?> InvokeAsync(RpcMethod? method, string methodName, JsonElement? parameters, CallContext context, CallTelemetry call, CancellationToken cancellationToken)
    {
        if (method is null)
        {
            // Echo at most 100 characters of the name, so a megabyte of method name does not come back whole.
            var shown = methodName.Length > 100 ? methodName[..100] + "…" : methodName;
            var hint = methods.Suggest(methodName) is { } suggestion ? $"; did you mean '{suggestion}'?" : "";
            throw new RpcException(RpcErrorCodes.MethodNotFound, $"method '{shown}' does not exist{hint}");
        }

        if (method.Access != RpcAccess.Anonymous)
        {
            context.Caller = await authenticator.AuthenticateAsync(context.Token, cancellationToken).ConfigureAwait(false);
            call.SetUser(context.Caller.UserId);
            if (method.Access == RpcAccess.Staff && !context.Caller.IsStaff)
            {
                throw RpcException.App(ErrorData.StaffOnly);
            }

            await staffMfa.EnsureAsync(methodName, context.Caller, cancellationToken).ConfigureAwait(false);
        }

        var args = ParameterBinder.Bind(method, parameters);
        var connection = context.Origin.Connection;
        if (method.SignsInConnection && connection is { IsIdentified: true })
        {
            throw RpcException.App(ErrorData.AlreadyIdentified);
        }

        var serviceCall = new DispatchedCall(context) { Caller = context.Caller, ClientAddress = context.Origin.ClientAddress, UserAgent = context.Origin.UserAgent, Hashes = context.Hashes };
        serviceCalls.Current = serviceCall;
        var value = await method.Invoke(args, cancellationToken).ConfigureAwait(false);

        // The method says it signs its caller in; the connection (WebSocket only) takes the session it named.
        if (method.SignsInConnection && connection is not null && serviceCall.SignedIn is { } signedIn
            && !await connection.TryAuthenticateAsync(signedIn.Token, signedIn.Caller, cancellationToken).ConfigureAwait(false))
        {
            throw RpcException.App(ErrorData.AlreadyIdentified);
        }

        return value;
    }

    /// <summary>The method <paramref name="name"/> (a JSON string) names, looked up from its UTF-8 bytes.</summary>
    private bool TryFind(JsonElement name, out RpcMethod method)
    {
        // The raw value of a string is its quoted JSON text; a name with escapes takes the decoding path.
        var raw = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(name);
        raw = raw[1..^1];
        return raw.Contains((byte)'\\') ? methods.TryGet(name.GetString()!, out method) : methods.TryGet(raw, out method);
    }

    private static string? ValidateEnvelope(JsonElement request, out JsonElement method, out JsonElement? parameters, out string? auth)
    {
        method = default;
        parameters = null;
        auth = null;
        if (!request.TryGetProperty("jsonrpc"u8, out var version) || version.ValueKind != JsonValueKind.String || !version.ValueEquals("2.0"u8))
        {
            return "jsonrpc must be \"2.0\"";
        }

        if (!request.TryGetProperty("method"u8, out var name) || name.ValueKind != JsonValueKind.String)
        {
            return "method must be a string";
        }

        // "params": null is read as absent, as geth and most servers do: several client libraries send it.
        if (request.TryGetProperty("params"u8, out var p) && p.ValueKind != JsonValueKind.Null)
        {
            if (p.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array))
            {
                return "params must be an object or an array";
            }

            parameters = p;
        }

        if (request.TryGetProperty("auth"u8, out var token))
        {
            if (token.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
            {
                return "auth must be a token string or null";
            }

            auth = token.GetString();
        }

        method = name;
        return null;
    }
}
