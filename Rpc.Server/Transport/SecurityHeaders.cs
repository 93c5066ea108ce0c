namespace Rpc.Server.Transport;

/// <summary>
/// Security headers on every response: no MIME sniffing, no referrer, no framing; HTML gets a strict
/// Content-Security-Policy (same-origin scripts, styles, images and connections only, no inline
/// script, no plugins, no framing, forms post to the same origin), everything else a policy that allows nothing.
/// </summary>
public static class SecurityHeaders
{
    /// <summary>The policy of HTML responses.</summary>
    public const string HtmlPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

    /// <summary>The policy of every other response (JSON has nothing to load).</summary>
    public const string DefaultPolicy = "default-src 'none'; frame-ancestors 'none'";

    /// <summary>
    /// Middleware for responses of any type: the policy is chosen by the Content-Type the response starts with.
    /// </summary>
    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            context.Response.OnStarting(static state =>
            {
                var response = (HttpResponse)state;
                var html = response.ContentType?.StartsWith("text/html", StringComparison.OrdinalIgnoreCase) == true;
                Set(response.Headers, html ? HtmlPolicy : DefaultPolicy);
                return Task.CompletedTask;
            }, context.Response);
            return next(context);
        });

    /// <summary>
    /// Middleware for a branch that never answers HTML (<c>/rpc</c>): the headers are set as the request arrives,
    /// without a callback at the start of every response.
    /// </summary>
    public static IApplicationBuilder UseJsonSecurityHeaders(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            SetJson(context.Response);
            return next(context);
        });

    /// <summary>The headers of a response that is not HTML, set before it starts.</summary>
    public static void SetJson(HttpResponse response) => Set(response.Headers, DefaultPolicy);

    private static void Set(IHeaderDictionary headers, string policy)
    {
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.XFrameOptions = "DENY";
        headers.ContentSecurityPolicy = policy;
    }
}
