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

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            var response = context.Response;
            response.OnStarting(static state =>
            {
                var response = (HttpResponse)state;
                var headers = response.Headers;
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
                headers.XFrameOptions = "DENY";
                var html = response.ContentType?.StartsWith("text/html", StringComparison.OrdinalIgnoreCase) == true;
                headers.ContentSecurityPolicy = html ? HtmlPolicy : DefaultPolicy;
                return Task.CompletedTask;
            }, response);
            return next(context);
        });
}
