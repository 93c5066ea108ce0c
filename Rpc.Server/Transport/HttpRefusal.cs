using System.Globalization;
using Rpc.Contracts.Protocol;
using Rpc.Server.Dispatch;

namespace Rpc.Server.Transport;

/// <summary>
/// How the server refuses an HTTP request before any call runs (a wrong verb, size or content type, a path below
/// <c>/rpc/</c>, an address's pace or connection count, a WebSocket upgrade it will not take): the status, a
/// JSON-RPC error body with its Content-Length, the security headers of a JSON response, and a count in
/// <c>rpc.http.refusals</c> by status.
/// </summary>
public static class HttpRefusal
{
    public static async Task WriteAsync(HttpResponse response, RpcErrorWriter errors, int status, string data, CultureInfo culture, int code = RpcErrorCodes.InvalidRequest)
    {
        Operations.ServerMetrics.HttpRefused(status);
        response.StatusCode = status;
        SecurityHeaders.SetJson(response);
        response.ContentType = "application/json; charset=utf-8";
        var body = errors.Standalone(code, data, culture);
        response.ContentLength = body.Length;
        await response.Body.WriteAsync(body).ConfigureAwait(false);
    }
}
