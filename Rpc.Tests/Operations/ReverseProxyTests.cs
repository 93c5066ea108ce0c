using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Operations;

/// <summary>
/// The server behind a real nginx (Debian's package, started by scripts/nginx.sh with the README's proxy
/// lines) that connects from 127.0.0.5, the only trusted proxy. Clients come from other loopback
/// addresses (127.0.0.2, 127.0.0.3), so per-address limits and session addresses must see those.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ReverseProxyTests
{
    private const string Proxy = "127.0.0.5";
    private RpcTestServer server = null!;
    private string nginxDirectory = null!;
    private Uri proxied = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        server = await RpcTestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Server:TrustedProxies:0"] = Proxy,
            ["RateLimits:LoginPerAddress:Burst"] = "3",
            ["RateLimits:LoginPerAddress:RefillSeconds"] = "3600",
        });
        // Not a 0700 temp folder: nginx's workers run as nobody and write their buffers here.
        nginxDirectory = Path.Combine(Path.GetTempPath(), "rpc-nginx-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(nginxDirectory);
        var port = FreePort();
        await RunScriptAsync("start", nginxDirectory, port.ToString(System.Globalization.CultureInfo.InvariantCulture), server.BaseUri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), Proxy);
        proxied = new Uri($"http://127.0.0.1:{port}");
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await RunScriptAsync("stop", nginxDirectory);
        await server.DisposeAsync();
        Directory.Delete(nginxDirectory, recursive: true);
    }

    [Test]
    public async Task Login_OneClientLockedOutBehindTheProxy_AnotherClientStillLogsIn()
    {
        var victim = await server.NewUserAsync("px");
        using var attacker = ClientFrom("127.0.0.2");
        for (var i = 0; i < 3; i++)
        {
            var failed = await CallAsync(attacker, "users.auth", new { username = "nobody" + i, password = "wrong password" });
            Assert.That(failed.GetProperty("error").GetProperty("data").GetString(), Is.EqualTo("invalid password"));
        }

        var locked = await CallAsync(attacker, "users.auth", new { username = victim.Username, password = victim.Password });
        Assert.That(locked.GetProperty("error").GetProperty("data").GetString(), Does.StartWith("rate limited: retry after").And.Contain("failed login attempts"));

        using var other = ClientFrom("127.0.0.3");
        var login = await CallAsync(other, "users.auth", new { username = victim.Username, password = victim.Password });
        var token = login.GetProperty("result").GetProperty("token").GetString()!;
        var sessions = await CallAsync(other, "users.sessions", token: token);
        var current = sessions.GetProperty("result").EnumerateArray().Single(s => s.GetProperty("current").GetBoolean());
        Assert.That(current.GetProperty("client_address").GetString(), Is.EqualTo("127.0.0.3"));
    }

    [Test]
    public async Task WebSocket_ThroughTheProxy_UpgradesAndSeesTheRealClient()
    {
        var user = await server.NewUserAsync("pw");
        using var handler = HandlerFrom("127.0.0.4");
        using var invoker = new HttpMessageInvoker(handler);
        await using var ws = await WsClient.ConnectAsync(new Uri($"ws://{proxied.Authority}/rpc"), invoker: invoker);
        var auth = await ws.CallAsync(JsonSerializer.Serialize(new { jsonrpc = "2.0", method = "users.auth", @params = new { username = user.Username, password = user.Password }, id = 1 }));
        Assert.That(auth.TryGetProperty("result", out _), Is.True, auth.ToString());
        var sessions = await ws.CallAsync("""{"jsonrpc":"2.0","method":"users.sessions","id":2}""");
        var current = sessions.GetProperty("result").EnumerateArray().Single(s => s.GetProperty("current").GetBoolean());
        Assert.That(current.GetProperty("client_address").GetString(), Is.EqualTo("127.0.0.4"));
    }

    [Test]
    public async Task ForwardedFor_SentStraightToTheServer_IsIgnored()
    {
        var user = await server.NewUserAsync("ps");
        using var direct = new HttpClient { BaseAddress = server.BaseUri };
        direct.DefaultRequestHeaders.Add("X-Forwarded-For", "198.51.100.7");
        var login = await PostAsync(direct, "users.auth", new { username = user.Username, password = user.Password }, null);
        var token = login.GetProperty("result").GetProperty("token").GetString()!;
        var sessions = await PostAsync(direct, "users.sessions", null, token);
        var current = sessions.GetProperty("result").EnumerateArray().Single(s => s.GetProperty("current").GetBoolean());
        Assert.That(current.GetProperty("client_address").GetString(), Is.EqualTo("127.0.0.1"));
    }

    private HttpClient ClientFrom(string address) => new(HandlerFrom(address)) { BaseAddress = proxied };

    private static SocketsHttpHandler HandlerFrom(string address) => new()
    {
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            socket.Bind(new IPEndPoint(IPAddress.Parse(address), 0));
            await socket.ConnectAsync(context.DnsEndPoint.Host == "localhost" ? new IPEndPoint(IPAddress.Loopback, context.DnsEndPoint.Port) : context.DnsEndPoint, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        },
    };

    private static Task<JsonElement> CallAsync(HttpClient client, string method, object? parameters = null, string? token = null) => PostAsync(client, method, parameters, token);

    private static async Task<JsonElement> PostAsync(HttpClient client, string method, object? parameters, string? token)
    {
        var envelope = new Dictionary<string, object?> { ["jsonrpc"] = "2.0", ["method"] = method, ["id"] = 1 };
        if (parameters is not null)
        {
            envelope["params"] = parameters;
        }

        if (token is not null)
        {
            envelope["auth"] = token;
        }

        using var response = await client.PostAsync("/rpc", new StringContent(JsonSerializer.Serialize(envelope), Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task RunScriptAsync(params string[] arguments)
    {
        var info = new ProcessStartInfo(Path.Combine(RepositoryRoot(), "scripts", "nginx.sh")) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.That(process.ExitCode, Is.Zero, "scripts/nginx.sh " + string.Join(' ', arguments) + ": " + errors);
    }

    /// <summary>The checkout the tests were built from (the folder with run.sh).</summary>
    internal static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "run.sh")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("run.sh not found above " + AppContext.BaseDirectory);
    }
}
