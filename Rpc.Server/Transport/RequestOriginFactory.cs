using Rpc.Server.Dispatch;

namespace Rpc.Server.Transport;

/// <summary>Reads what the dispatcher needs to know of a request's origin from its HTTP context.</summary>
public static class RequestOriginFactory
{
    public static RequestOrigin From(HttpContext context, IRpcConnection? connection = null)
    {
        var request = context.Request;
        string? bearer = null;
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            bearer = authorization["Bearer ".Length..].Trim();
        }

        var userAgent = request.Headers.UserAgent.ToString();
        return new RequestOrigin
        {
            Culture = LanguageNegotiator.Negotiate(request.Query["lang"], request.Headers.AcceptLanguage),
            ClientAddress = context.Connection.RemoteIpAddress?.ToString(),
            UserAgent = userAgent.Length == 0 ? null : userAgent[..Math.Min(userAgent.Length, 512)],
            BearerToken = bearer,
            Connection = connection,
        };
    }
}
