using System.Diagnostics;
using System.Net;
using System.Text;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Operations;

/// <summary>
/// <c>GET /metrics</c> of a server process of its own (so no other test's calls are counted): every
/// metric the issue lists is there after calls over both transports, and Debian's <c>promtool check
/// metrics</c> (scripts/install-test-tools.sh) reads the output.
/// </summary>
[TestFixture]
[Category("sqlite")]
public sealed class MetricsTests
{
    private const string Promtool = "/usr/bin/promtool";

    [Test]
    public async Task Metrics_AfterCallsOnBothTransports_ListsEveryMetricAndPassesPromtool()
    {
        var directory = Directory.CreateTempSubdirectory("rpc-metrics").FullName;
        await using var server = await ServerProcess.StartAsync(Path.Combine(directory, "rpc.db"), new Dictionary<string, string>
        {
            ["Passwords__MemoryKiB"] = "8192",
            ["Passwords__Iterations"] = "1",
            ["RateLimits__LoginPerAddress__Burst"] = "2",
        });
        var rpc = new Uri(server.BaseUri, "/rpc");
        async Task<string> Post(string body)
        {
            using var response = await server.Http.PostAsync(rpc, new StringContent(body, Encoding.UTF8, "application/json"));
            return await response.Content.ReadAsStringAsync();
        }

        await Post("""{"jsonrpc":"2.0","method":"users.create","params":{"username":"metrics1","password":"correct horse battery"},"id":1}""");
        using (var refused = await server.Http.PostAsync(rpc, new StringContent("{}", Encoding.UTF8, "text/plain")))
        {
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.UnsupportedMediaType));
        }

        await Post("""{"jsonrpc":"2.0","method":"users.check","params":["metrics1"],"id":2}""");
        await Post("""{"jsonrpc":"2.0","method":"users.check","params":["metrics1"],"id":3}""");
        for (var i = 0; i < 3; i++)
        {
            await Post("""{"jsonrpc":"2.0","method":"users.auth","params":["metrics1","wrong password"],"id":4}""");
        }

        await using (var ws = await WsClient.ConnectAsync(new Uri($"ws://{server.BaseUri.Authority}/rpc")))
        {
            await ws.CallAsync("""{"jsonrpc":"2.0","method":"users.check","params":["nobody"],"id":1}""");
            var metrics = await server.Http.GetStringAsync("/metrics");
            Assert.That(Sample(metrics, "rpc_websockets_open"), Is.EqualTo("1"));
        }

        // The server notices the close a moment later, and the exporter caches a scrape for 300 ms.
        var text = "";
        await Eventually.WaitUntilAsync(async () => Sample(text = await server.Http.GetStringAsync("/metrics"), "rpc_websockets_open") == "0");

        Assert.That(Sample(text, "rpc_server_call_duration_seconds_count", "rpc_method=\"users.check\"", "rpc_outcome=\"ok\"", "rpc_transport=\"http\""), Is.EqualTo("2"));
        Assert.That(Sample(text, "rpc_server_call_duration_seconds_count", "rpc_method=\"users.check\"", "rpc_outcome=\"ok\"", "rpc_transport=\"websocket\""), Is.EqualTo("1"));
        Assert.That(Sample(text, "rpc_server_call_duration_seconds_count", "rpc_method=\"users.auth\"", "rpc_outcome=\"error\"", "rpc_transport=\"http\""), Is.EqualTo("3"));
        Assert.That(Sample(text, "rpc_server_call_duration_seconds_bucket", "rpc_method=\"users.create\"", "le=\"+Inf\""), Is.EqualTo("1"));
        Assert.That(Sample(text, "rpc_rate_limit_refusals_total", "limiter=\"login\""), Is.EqualTo("1"));
        Assert.That(Sample(text, "rpc_http_refusals_total", "http_response_status_code=\"415\""), Is.EqualTo("1"));
        // ASP.NET Core's per-request metrics are off unless Metrics:HttpRequests turns them on (see the next test).
        Assert.That(Sample(text, "http_server_request_duration_seconds_count"), Is.Null);
        // Process-wide counts (other tests' servers share the meter): this test made at least one of each.
        Assert.That(long.Parse(Sample(text, "rpc_users_check_cache_lookups_total", "result=\"hit\"") ?? "0", System.Globalization.CultureInfo.InvariantCulture), Is.GreaterThanOrEqualTo(1));
        Assert.That(long.Parse(Sample(text, "rpc_users_check_cache_lookups_total", "result=\"miss\"") ?? "0", System.Globalization.CultureInfo.InvariantCulture), Is.GreaterThanOrEqualTo(1));
        Assert.That(Sample(text, "rpc_websockets_open"), Is.EqualTo("0"));
        foreach (var name in new[]
        {
            "rpc_gateway_sessions_attached", "rpc_gateway_events_sent_total", "rpc_gateway_events_dropped_total",
            "rpc_gateway_slow_consumer_closes_total", "rpc_passwords_hash_queue_length", "rpc_passwords_hash_queue_wait_seconds_count",
            "rpc_database_busy_errors_total", "kestrel_active_connections",
            "dotnet_gc_collections_total", "dotnet_process_cpu_time_seconds_total", "target_info",
        })
        {
            Assert.That(Sample(text, name), Is.Not.Null, name);
        }

        Assert.That(File.Exists(Promtool), Is.True, "scripts/install-test-tools.sh installs Debian's prometheus package for promtool");
        var (exitCode, report) = await PromtoolCheckAsync(text);
        // Exit 1 is a format error; 3 is lint findings. The only findings allowed are on the .NET runtime's
        // own meter, whose OpenTelemetry semantic-convention names (dotnet.assembly.count…) promtool's naming
        // lint dislikes; the server's own metrics must be clean.
        Assert.That(exitCode, Is.EqualTo(0).Or.EqualTo(3), report);
        var findings = report.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(findings.Where(line => !(line.StartsWith("dotnet_", StringComparison.Ordinal) && line.Contains("_count\" suffix", StringComparison.Ordinal))), Is.Empty, report);
    }

    [Test]
    public async Task Metrics_HttpRequestsOn_ExportsAspNetCoreRequestDurations()
    {
        await using var server = await RpcTestServer.StartAsync(new Dictionary<string, string?> { ["Metrics:HttpRequests"] = "true" });
        using (await server.PostAsync("""{"jsonrpc":"2.0","method":"users.check","params":["x"],"id":1}""")) { }
        // Recorded as the request ends, which may be just after the client has its reply.
        var text = "";
        await Eventually.WaitUntilAsync(async () =>
            Sample(text = await server.Http.GetStringAsync("/metrics"), "http_server_request_duration_seconds_count", "http_response_status_code=\"200\"") is not null);
    }

    [Test]
    public async Task Metrics_ClientOutsideAllowedNetworks_403()
    {
        await using var server = await RpcTestServer.StartAsync(new Dictionary<string, string?> { ["Metrics:AllowedNetworks:0"] = "10.0.0.0/8", ["Metrics:AllowedNetworks:1"] = "192.0.2.1" });
        using var response = await server.Http.GetAsync("/metrics");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task Metrics_Loopback_ServedByDefault()
    {
        await using var server = await RpcTestServer.StartAsync();
        using var response = await server.Http.GetAsync("/metrics");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/plain"));
    }

    /// <summary>The value of the first sample of <paramref name="name"/> whose labels include every one of <paramref name="labels"/>.</summary>
    private static string? Sample(string exposition, string name, params string[] labels) =>
        exposition.Split('\n')
            .Where(line => line.StartsWith(name + "{", StringComparison.Ordinal) || line.StartsWith(name + " ", StringComparison.Ordinal))
            .Where(line => labels.All(label => line.Contains(label, StringComparison.Ordinal)))
            .Select(line => line[(line.LastIndexOf(' ') + 1)..])
            .FirstOrDefault();

    private static async Task<(int ExitCode, string Report)> PromtoolCheckAsync(string metrics)
    {
        var info = new ProcessStartInfo(Promtool) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("check");
        info.ArgumentList.Add("metrics");
        using var process = Process.Start(info)!;
        await process.StandardInput.WriteAsync(metrics);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, (await output) + (await errors));
    }
}
