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
        var ip = context.Connection.RemoteIpAddress;
        return new RequestOrigin
        {
            Culture = LanguageNegotiator.Negotiate(request.QueryString.HasValue ? request.Query["lang"] : default, request.Headers.AcceptLanguage),
            ClientAddress = ClientAddressOf(context),
            AddressKey = Security.AddressKey.Of(ip),
            UserAgent = userAgent.Length == 0 ? null : userAgent[..Math.Min(userAgent.Length, 512)],
            BearerToken = bearer,
            Connection = connection,
        };
    }

    /// <summary>
    /// The client's address as sessions and log lines show it: on a dual-mode listener (<c>[::]</c>, what
    /// <c>ASPNETCORE_HTTP_PORTS</c> binds) an IPv4 client arrives as <c>::ffff:a.b.c.d</c> and is written
    /// <c>a.b.c.d</c>, as fail2ban and operators expect.
    /// </summary>
    public static string? ClientAddressOf(HttpContext context) =>
        context.Connection.RemoteIpAddress is { } ip ? (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString() : null;
}
