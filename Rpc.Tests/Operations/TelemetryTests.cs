using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Rpc.Contracts.Protocol;
using Rpc.Server;
using Rpc.Server.Operations;
using Rpc.Tests.Infrastructure;
using StreamJsonRpc;

namespace Rpc.Tests.Operations;

/// <summary>A method that fails unexpectedly, registered only by these tests.</summary>
public interface IFaultApi
{
    [JsonRpcMethod("test.fault")]
    [RpcAccess(RpcAccess.Anonymous)]
    Task<bool> FaultAsync(CancellationToken cancellationToken = default);
}

public sealed class FaultService : IFaultApi
{
    public Task<bool> FaultAsync(CancellationToken cancellationToken = default) => throw new InvalidOperationException("a bug");
}

/// <summary>Spans per call, trace ids as correlation ids, OTLP export, security log lines, the banner and JSON logs.</summary>
[TestFixture]
[NonParallelizable]
public sealed class TelemetryTests
{
    [Test]
    public async Task Call_Authenticated_OneSpanWithMethodOutcomeAndUserButNoParams()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = Listen(spans);
        await using var server = await RpcTestServer.StartAsync();
        var user = await server.NewUserAsync("tr");
        await server.ResultAsync("users.self", null, user.Token);
        await server.ErrorAsync("users.update", new { display_name = new string('x', 500) }, user.Token);

        var mine = spans.Where(s => s.GetTagItem("enduser.id") is long id && id.ToString(System.Globalization.CultureInfo.InvariantCulture) == user.Id).ToList();
        var self = mine.Single(s => s.DisplayName == "users.self");
        Assert.That(self.Kind, Is.EqualTo(ActivityKind.Server));
        Assert.That(self.GetTagItem("rpc.method"), Is.EqualTo("users.self"));
        Assert.That(self.GetTagItem("rpc.transport"), Is.EqualTo("http"));
        Assert.That(self.GetTagItem("rpc.outcome"), Is.EqualTo("ok"));
        var failed = mine.Single(s => s.DisplayName == "users.update");
        Assert.That(failed.Status, Is.EqualTo(ActivityStatusCode.Error));
        Assert.That(failed.GetTagItem("rpc.jsonrpc.error_code"), Is.Not.Null);
        Assert.That(mine.SelectMany(s => s.TagObjects).Select(t => t.Value?.ToString() ?? ""), Has.None.Contains("xxxxxxxx").And.None.Contains(user.Token));
    }

    [Test]
    public async Task UnexpectedError_CorrelationIdIsTheTraceIdInTheLog()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = Listen(spans);
        await using var server = await RpcTestServer.StartAsync(configureServices: s => s.AddRpcService<IFaultApi, FaultService>());
        var error = await server.ErrorAsync("test.fault");
        var data = error.GetProperty("data").GetString()!;
        var id = Regex.Match(data, "correlation id ([0-9a-f]{32})$").Groups[1].Value;
        Assert.That(id, Is.Not.Empty, data);
        Assert.That(spans.Any(s => s.DisplayName == "test.fault" && s.TraceId.ToHexString() == id), Is.True);
        Assert.That(CapturingLoggerProvider.Lines, Has.Some.Contains("correlation id " + id));
    }

    [Test]
    public async Task Otlp_Configured_SpansReachTheCollector()
    {
        var received = new ConcurrentQueue<(string Path, byte[] Body)>();
        var collector = WebApplication.CreateBuilder();
        collector.WebHost.UseUrls("http://127.0.0.1:0");
        collector.Logging.ClearProviders();
        await using var app = collector.Build();
        app.MapPost("/{**path}", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            received.Enqueue((context.Request.Path, body.ToArray()));
            return Results.Ok();
        });
        await app.StartAsync();
        var endpoint = app.Urls.First();

        var server = await RpcTestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Telemetry:OtlpEndpoint"] = endpoint,
            ["Telemetry:OtlpProtocol"] = "http/protobuf",
        });
        await server.ResultAsync("users.check", new { username = "otlp_probe" });
        await server.DisposeAsync(); // flushes the exporters

        var traces = received.Where(r => r.Path == "/v1/traces").ToList();
        Assert.That(traces, Is.Not.Empty, string.Join(", ", received.Select(r => r.Path)));
        Assert.That(traces.Any(t => Encoding.UTF8.GetString(t.Body).Contains("users.check", StringComparison.Ordinal)), Is.True);
        Assert.That(traces.Any(t => Encoding.UTF8.GetString(t.Body).Contains("otlp_probe", StringComparison.Ordinal)), Is.False, "params never go into spans");
        Assert.That(received.Any(r => r.Path == "/v1/metrics"), Is.True);
    }

    [Test]
    public async Task SecurityEvents_LoggedWithUserAndClientAddress_AndTheFail2banFilterMatchesTheLockOut()
    {
        await using var server = await RpcTestServer.StartAsync(new Dictionary<string, string?> { ["RateLimits:LoginPerAccountAndAddress:Burst"] = "2", ["RateLimits:LoginPerAccountAndAddress:RefillSeconds"] = "3600" });
        var user = await server.NewUserAsync("sec");
        var id = user.Id;
        await server.ErrorAsync("users.auth", new { username = user.Username, password = "wrong password 1" });
        await server.ErrorAsync("users.auth", new { username = user.Username, password = "wrong password 2" });
        await server.ErrorAsync("users.auth", new { username = user.Username, password = user.Password });
        // Another account: the locked-out one's password checks are refused too, changePassword's included.
        var other = await server.NewUserAsync("sec");
        await server.ResultAsync("users.changePassword", new { old_password = other.Password, new_password = "another horse battery" }, other.Token);
        await server.ErrorAsync("admin.users.search", new { username = "x" }, user.Token);

        var lines = CapturingLoggerProvider.Lines.Where(l => l.Contains("SecurityLog", StringComparison.Ordinal)).ToList();
        Assert.That(lines, Has.Some.Contains($"Security event login_succeeded: user {id}, client 127.0.0.1"));
        Assert.That(lines, Has.Some.Contains("Security event login_failed: user -, client 127.0.0.1"));
        Assert.That(lines, Has.Some.Contains("Security event login_locked_out: user -, client 127.0.0.1"));
        Assert.That(lines, Has.Some.Contains($"Security event password_changed: user {other.Id}, client 127.0.0.1"));
        Assert.That(lines, Has.Some.Contains($"Security event staff_access_refused: user {id}, client 127.0.0.1"));
        Assert.That(lines, Has.None.Contains("wrong password").And.None.Contains(user.Token).And.None.Contains(user.Password));

        // README's fail2ban filter: failregex = Security event login_locked_out: user \S+, client <HOST>$
        // (fail2ban turns <HOST> into a named group for the address; the same expression here.)
        var failregex = new Regex(@"Security event login_locked_out: user \S+, client (?<host>[0-9a-fA-F.:]+)$");
        var systemdLine = "<4>Rpc.Server.Operations.SecurityLog[9000] Security event login_locked_out: user -, client 203.0.113.7";
        Assert.That(failregex.Match(systemdLine).Groups["host"].Value, Is.EqualTo("203.0.113.7"));
    }

    [Test]
    public async Task Fail2banFilterInReadme_RunByFail2banRegexOnTheServersJournalLines_BansTheLockedOutClientOnly()
    {
        const string Fail2banRegex = "/usr/bin/fail2ban-regex";
        Assert.That(File.Exists(Fail2banRegex), Is.True, "scripts/install-test-tools.sh installs Debian's fail2ban for fail2ban-regex");
        var readme = await File.ReadAllTextAsync(Path.Combine(ReverseProxyTests.RepositoryRoot(), "README.md"));
        var filter = Regex.Match(readme, @"```ini\n(\[Definition\]\nfailregex = [^`]*)```");
        Assert.That(filter.Success, Is.True, "README shows the fail2ban filter as an ini block starting with [Definition] and failregex");

        // What journald stores under systemd: the server's systemd console format, one line per entry.
        var directory = Directory.CreateTempSubdirectory("rpc-fail2ban").FullName;
        await using (var server = await ServerProcess.StartAsync(Path.Combine(directory, "rpc.db"), new Dictionary<string, string>
        {
            ["Logging__Console__FormatterName"] = "systemd",
            ["RateLimits__LoginPerAddress__Burst"] = "2",
            ["RateLimits__LoginPerAddress__RefillSeconds"] = "3600",
        }))
        {
            for (var i = 0; i < 3; i++)
            {
                using var response = await server.Http.PostAsync(new Uri(server.BaseUri, "/rpc"), new StringContent($$"""{"jsonrpc":"2.0","method":"users.auth","params":["nobody{{i}}","wrong password"],"id":1}""", Encoding.UTF8, "application/json"));
            }

            await Eventually.WaitUntilAsync(() => server.Output.Any(l => l.Contains("login_locked_out", StringComparison.Ordinal)), because: "the lock-out is logged");
            await File.WriteAllLinesAsync(Path.Combine(directory, "journal.log"), server.Output);
            Assert.That(server.Output.Count(l => l.Contains("Security event login_failed", StringComparison.Ordinal)), Is.EqualTo(2));
        }

        await File.WriteAllTextAsync(Path.Combine(directory, "rpc-server.conf"), filter.Groups[1].Value);
        var info = new ProcessStartInfo(Fail2banRegex) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "-v", Path.Combine(directory, "journal.log"), Path.Combine(directory, "rpc-server.conf") })
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var report = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.That(process.ExitCode, Is.Zero, report);
        // Only the lock-out matches (not the two failures before it), and fail2ban reads the client's address from it.
        Assert.That(Regex.Match(report, @"Lines: \d+ lines, \d+ ignored, (\d+) matched").Groups[1].Value, Is.EqualTo("1"), report);
        Assert.That(report, Does.Match(@"(?m)^\|\s+127\.0\.0\.1\s"), report);
        Directory.Delete(directory, recursive: true);
    }

    [Test]
    public async Task JsonConsoleLogging_BannerIsOneJsonLineWithTheVersion()
    {
        var directory = Directory.CreateTempSubdirectory("rpc-jsonlog").FullName;
        await using var server = await ServerProcess.StartAsync(Path.Combine(directory, "rpc.db"), new Dictionary<string, string> { ["Logging__Console__FormatterName"] = "json" });
        var banner = server.Output.First(l => l.Contains("Rpc.Server.Startup", StringComparison.Ordinal) && l.Contains("ready", StringComparison.Ordinal));
        var entry = JsonDocument.Parse(banner).RootElement;
        Assert.That(entry.GetProperty("State").GetProperty("Version").GetString(), Is.EqualTo(ServerVersion.Informational));
        Assert.That(server.Output.Where(l => l.StartsWith('{')).Count(), Is.GreaterThan(2));
        using var health = await server.Http.GetAsync("/healthz");
        Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    private static ActivityListener Listen(ConcurrentQueue<Activity> spans)
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == CallTelemetry.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }
}
