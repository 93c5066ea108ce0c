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
        // Mapped once: an IPv4 client's address and key are then the same cached string of one IPAddress.
        var ip = ClientIp(context);
        return new RequestOrigin
        {
            Culture = LanguageNegotiator.Negotiate(request.QueryString.HasValue ? request.Query["lang"] : default, request.Headers.AcceptLanguage),
            ClientAddress = ip?.ToString(),
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
    public static string? ClientAddressOf(HttpContext context) => ClientIp(context)?.ToString();

    private static System.Net.IPAddress? ClientIp(HttpContext context) =>
        context.Connection.RemoteIpAddress is { IsIPv4MappedToIPv6: true } mapped ? mapped.MapToIPv4() : context.Connection.RemoteIpAddress;
}
