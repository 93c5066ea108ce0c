using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Rpc.Server.Transport;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Transport;

public sealed class SecurityHeadersTests
{
    private static void AssertCommonHeaders(HttpResponseMessage response)
    {
        Assert.That(response.Headers.GetValues("X-Content-Type-Options"), Is.EqualTo(new[] { "nosniff" }));
        Assert.That(response.Headers.GetValues("Referrer-Policy"), Is.EqualTo(new[] { "no-referrer" }));
        Assert.That(response.Headers.GetValues("X-Frame-Options"), Is.EqualTo(new[] { "DENY" }));
    }

    private static void AssertHeaders(HttpResponseMessage response, HttpStatusCode status, string policy)
    {
        Assert.That(response.StatusCode, Is.EqualTo(status), response.RequestMessage?.RequestUri?.ToString());
        AssertCommonHeaders(response);
        Assert.That(response.Headers.GetValues("Content-Security-Policy").Single(), Is.EqualTo(policy), response.RequestMessage?.RequestUri?.ToString());
    }

    [Test]
    public async Task RpcResponses_CarrySecurityHeaders_OnSuccessAndRefusal()
    {
        var server = SharedServer.Instance;
        using var ok = await server.PostAsync("""{"jsonrpc":"2.0","method":"users.check","params":["x"],"id":1}""");
        AssertHeaders(ok, HttpStatusCode.OK, SecurityHeaders.DefaultPolicy);
        using var refused = await server.Http.GetAsync("/rpc");
        AssertHeaders(refused, HttpStatusCode.MethodNotAllowed, SecurityHeaders.DefaultPolicy);
        using var unsupported = await server.Http.PostAsync("/rpc", new StringContent("x", System.Text.Encoding.UTF8, "text/plain"));
        AssertHeaders(unsupported, HttpStatusCode.UnsupportedMediaType, SecurityHeaders.DefaultPolicy);
        using var missing = await server.Http.GetAsync("/no-such-page");
        AssertHeaders(missing, HttpStatusCode.NotFound, SecurityHeaders.DefaultPolicy);
        using var openRpc = await server.Http.GetAsync("/openrpc.json");
        AssertHeaders(openRpc, HttpStatusCode.OK, SecurityHeaders.DefaultPolicy);
    }

    [Test]
    public async Task ServedPage_GetsTheHtmlPolicy_AndItsScriptTheDefault()
    {
        var server = SharedServer.Instance;
        using var page = await server.Http.GetAsync("/invite_register.html");
        AssertHeaders(page, HttpStatusCode.OK, SecurityHeaders.HtmlPolicy);
        using var script = await server.Http.GetAsync("/invite_register.js");
        AssertHeaders(script, HttpStatusCode.OK, SecurityHeaders.DefaultPolicy);
    }

    /// <summary>
    /// Serves a page through the same middleware (MapRpcEndpoints registers it ahead of everything but
    /// /rpc, so static files and any page added later get it) and checks the page policy.
    /// </summary>
    [Test]
    public async Task HtmlResponse_GetsStrictContentSecurityPolicy()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var app = builder.Build();
        app.UseSecurityHeaders();
        app.MapGet("/page.html", () => Results.Content("<!doctype html><title>t</title>", "text/html; charset=utf-8"));
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        using var response = await http.GetAsync("/page.html");
        AssertCommonHeaders(response);
        var policy = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.That(policy, Is.EqualTo(SecurityHeaders.HtmlPolicy));
        Assert.That(policy, Does.Contain("default-src 'none'").And.Contain("frame-ancestors 'none'").And.Not.Contain("unsafe-inline"));
    }
}
