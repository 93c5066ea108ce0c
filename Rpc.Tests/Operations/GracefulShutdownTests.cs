using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Operations;

/// <summary>SIGTERM to the real server process under load: calls in flight are answered, WebSockets close with 1012, exit 0 in time.</summary>
[TestFixture]
[Category("sqlite")]
public sealed class GracefulShutdownTests
{
    [Test]
    public async Task Sigterm_UnderLoad_AnswersCallsInFlightClosesWebSocketsWith1012AndExitsZero()
    {
        var directory = Directory.CreateTempSubdirectory("rpc-shutdown").FullName;
        // Slow hashing (a second or more per hash here) keeps a users.create running when the signal comes.
        // The shared test machine can be slow enough to take several seconds per hash, so the limit is raised
        // from its default 8 s; what is tested is that the configured limit holds.
        // At load 50 a 48 MiB x 8 hash took longer than 20 s; the limit is what is tested, not the machine's speed.
        const int shutdownSeconds = 60;
        await using var server = await ServerProcess.StartAsync(Path.Combine(directory, "rpc.db"), new Dictionary<string, string>
        {
            ["Server__ShutdownSeconds"] = shutdownSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            // libsodium hashed 32 MiB x 4 passes within the 300 ms below on a quiet machine; this is about three times
            // that, and 64 MiB x 10 passed the 20 s limit under load.
            ["Passwords__MemoryKiB"] = "49152",
            ["Passwords__Iterations"] = "8",
            ["Passwords__MaxConcurrentHashesPerAddress"] = "2",
            ["RateLimits__CreatePerAddress__Burst"] = "1000",
        });
        var rpc = new Uri(server.BaseUri, "/rpc");
        var wsUri = new Uri($"ws://{server.BaseUri.Authority}/rpc");
        static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

        await using var idle = await WsClient.ConnectAsync(wsUri);
        await using var busy = await WsClient.ConnectAsync(wsUri);
        Assert.That((await idle.CallAsync("""{"jsonrpc":"2.0","method":"users.check","params":["x"],"id":1}""")).GetProperty("result").GetBoolean(), Is.False);

        // Load: users.check in two loops until the server goes away.
        var signalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var answered = 0;
        var badReplies = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var load = Enumerable.Range(0, 2).Select(async worker =>
        {
            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            while (true)
            {
                try
                {
                    using var response = await client.PostAsync(rpc, Json($$"""{"jsonrpc":"2.0","method":"users.check","params":["load{{worker}}"],"id":1}"""));
                    var body = await response.Content.ReadAsStringAsync();
                    if (response.StatusCode != HttpStatusCode.OK || !body.Contains("\"result\":false", StringComparison.Ordinal))
                    {
                        badReplies.Enqueue($"{(int)response.StatusCode} {body}");
                    }

                    Interlocked.Increment(ref answered);
                }
                catch (HttpRequestException e)
                {
                    if (!signalled.Task.IsCompleted)
                    {
                        badReplies.Enqueue("before the signal: " + e.InnerException?.Message);
                    }

                    return; // Refused or closed once the server stopped accepting: the client retries elsewhere.
                }
            }
        }).ToList();

        using var inFlightClient = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var httpInFlight = inFlightClient.PostAsync(rpc, Json("""{"jsonrpc":"2.0","method":"users.create","params":{"username":"inflight_http","password":"correct horse battery"},"id":7}"""));
        await busy.SendAsync("""{"jsonrpc":"2.0","method":"users.create","params":{"username":"inflight_ws","password":"correct horse battery"},"id":8}""");
        await Task.Delay(300);
        Assert.That(httpInFlight.IsCompleted, Is.False, "the call must still be running when the signal comes");

        var clock = Stopwatch.StartNew();
        signalled.SetResult();
        server.Terminate();

        using (var reply = await httpInFlight)
        {
            var body = await reply.Content.ReadAsStringAsync();
            Assert.That(reply.StatusCode, Is.EqualTo(HttpStatusCode.OK), body);
            Assert.That(JsonDocument.Parse(body).RootElement.GetProperty("result").GetProperty("username").GetString(), Is.EqualTo("inflight_http"));
        }

        var wsReply = await busy.ReceiveJsonAsync(TimeSpan.FromSeconds(shutdownSeconds));
        Assert.That(wsReply.GetProperty("id").GetInt32(), Is.EqualTo(8));
        Assert.That(wsReply.GetProperty("result").GetProperty("username").GetString(), Is.EqualTo("inflight_ws"));
        foreach (var client in new[] { busy, idle })
        {
            Assert.That(await client.ReceiveAsync(TimeSpan.FromSeconds(15)), Is.Null, "a close frame, not another message");
            Assert.That((int?)client.Socket.CloseStatus, Is.EqualTo(1012));
            Assert.That(client.Socket.CloseStatusDescription, Does.Contain("reconnect"));
            // Answer the close, as browsers and WebSocket libraries do; the server waits for it (within the limit).
            await client.Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        }

        var exitCode = await server.WaitForExitAsync(TimeSpan.FromSeconds(shutdownSeconds + 10));
        Assert.That(exitCode, Is.Zero, string.Join("\n", server.Output));
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(shutdownSeconds + 2)), "Server:ShutdownSeconds bounds the shutdown");
        await Task.WhenAll(load);
        Assert.That(badReplies, Is.Empty, string.Join("\n", server.Output));
        Assert.That(answered, Is.GreaterThan(0));
    }

    [Test]
    public async Task Sigterm_CallOutlastingTheLimit_CutAndTheProcessExitsZeroWithinServerShutdownSeconds()
    {
        // The default limit, 8 s, is meant to fit Docker's 10 s before SIGKILL: the whole shutdown, cutting a call
        // that outlasts it and exiting included, must end within it.
        const int shutdownSeconds = 8;
        var directory = Directory.CreateTempSubdirectory("rpc-shutdown").FullName;
        await using var server = await ServerProcess.StartAsync(Path.Combine(directory, "rpc.db"), new Dictionary<string, string>
        {
            ["Server__ShutdownSeconds"] = shutdownSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            // A hash of 10 s or more (256 MiB, 100 passes): the call is still running when the limit comes.
            ["Passwords__MemoryKiB"] = "262144",
            ["Passwords__Iterations"] = "100",
            // "Request starting …" tells the test the call is in the server's hands.
            ["Logging__LogLevel__Microsoft.AspNetCore.Hosting.Diagnostics"] = "Information",
        });
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(120) };
        var call = client.PostAsync(new Uri(server.BaseUri, "/rpc"), new StringContent("""{"jsonrpc":"2.0","method":"users.create","params":{"username":"outlasting","password":"correct horse battery"},"id":1}""", Encoding.UTF8, "application/json"));
        await Eventually.WaitUntilAsync(() => server.Output.Any(l => l.Contains("Request starting HTTP/1.1 POST", StringComparison.Ordinal)), because: "the call reaches the server");

        var clock = Stopwatch.StartNew();
        server.Terminate();
        var exitCode = await server.WaitForExitAsync(TimeSpan.FromSeconds(60));
        var elapsed = clock.Elapsed;
        Assert.That(exitCode, Is.Zero, string.Join("\n", server.Output));
        Assert.That(call.IsCompletedSuccessfully && call.Result.IsSuccessStatusCode, Is.False, "the call outlasting the limit is cut, not answered");
        Assert.That(elapsed, Is.LessThan(TimeSpan.FromSeconds(shutdownSeconds + 1)), "Server:ShutdownSeconds bounds the whole shutdown (+ 1 s for the signal's delivery)");
        Assert.That(elapsed, Is.GreaterThan(TimeSpan.FromSeconds(shutdownSeconds / 2)), "the call in flight held the shutdown (else this proves nothing)");
    }
}
