using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Rpc.Server;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Operations;

/// <summary>The standard ASP.NET Core addressing settings decide where the server listens; --port and Server:Port stay shorthands.</summary>
[TestFixture]
[Category("sqlite")]
public sealed class AddressingTests
{
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<string> HealthVersionAt(string baseUri)
    {
        using var http = new HttpClient();
        var body = await http.GetStringAsync(baseUri.TrimEnd('/') + "/healthz");
        return System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("version").GetString()!;
    }

    private static IEnumerable<TestCaseData> StandardSettings()
    {
        yield return new TestCaseData("ASPNETCORE_URLS", null).SetName("Listen_AspNetCoreUrls_BindsThatAddress");
        yield return new TestCaseData(null, "--urls").SetName("Listen_UrlsSwitch_BindsThatAddress");
        yield return new TestCaseData("Kestrel__Endpoints__Main__Url", null).SetName("Listen_KestrelEndpoints_BindsThatAddress");
    }

    [TestCaseSource(nameof(StandardSettings))]
    public async Task Listen_StandardSetting_BindsItsAddressNot8080(string? environmentVariable, string? commandLineSwitch)
    {
        var port = FreePort();
        var url = $"http://127.0.0.1:{port}";
        var directory = Directory.CreateTempSubdirectory("rpc-addressing").FullName;
        var environment = new Dictionary<string, string>();
        var arguments = new List<string>();
        if (environmentVariable is not null)
        {
            environment[environmentVariable] = url;
        }
        else
        {
            arguments.AddRange([commandLineSwitch!, url]);
        }

        await using var server = await ServerProcess.StartAsync(Path.Combine(directory, "rpc.db"), environment, arguments);
        Assert.That(server.BaseUri.Port, Is.EqualTo(port), string.Join("\n", server.Output));
        Assert.That(await HealthVersionAt(url), Is.Not.Empty);
        Assert.That(server.Output, Has.None.Contains("Overriding address"));
    }

    [Test]
    public async Task Listen_AspNetCoreHttpPorts_BindsEveryInterfaceOnThatPort()
    {
        var port = FreePort();
        var directory = Directory.CreateTempSubdirectory("rpc-addressing").FullName;
        await using var server = await ServerProcess.StartAsync(Path.Combine(directory, "rpc.db"), new Dictionary<string, string> { ["ASPNETCORE_HTTP_PORTS"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture) }, []);
        Assert.That(server.BaseUri.Port, Is.EqualTo(port));
        Assert.That(await HealthVersionAt($"http://127.0.0.1:{port}"), Is.Not.Empty);
    }

    [Test]
    public async Task ClientAddress_DualStackListener_IPv4ClientRecordedAsIPv4()
    {
        // ASPNETCORE_HTTP_PORTS and --urls http://*:… listen on [::] in dual mode, where an IPv4 client's address
        // arrives as ::ffff:a.b.c.d: sessions and security log lines must still say a.b.c.d (fail2ban, operators).
        await using var server = await RpcTestServer.StartAsync(new Dictionary<string, string?> { ["Server:Address"] = "::" });
        using var ipv4 = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.BaseUri.Port}") };
        async Task<System.Text.Json.JsonElement> Call(string body, string? token = null)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/rpc") { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
            if (token is not null)
            {
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            }

            using var response = await ipv4.SendAsync(request);
            return System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        }

        await Call("""{"jsonrpc":"2.0","method":"users.create","params":{"username":"dualstack","password":"correct horse battery"},"id":1}""");
        var token = (await Call("""{"jsonrpc":"2.0","method":"users.auth","params":{"username":"dualstack","password":"correct horse battery"},"id":2}""")).GetProperty("result").GetProperty("token").GetString();
        var sessions = await Call("""{"jsonrpc":"2.0","method":"users.sessions","id":3}""", token);
        Assert.That(sessions.GetProperty("result")[0].GetProperty("client_address").GetString(), Is.EqualTo("127.0.0.1"), sessions.ToString());
        Assert.That(CapturingLoggerProvider.Lines, Has.Some.Contains("Security event login_succeeded").And.Some.Contains(", client 127.0.0.1"));
        Assert.That(CapturingLoggerProvider.Lines, Has.None.Contains("client ::ffff:"));
    }

    [Test]
    public void ShorthandEndpoint_NothingSet_Is127001Port8080()
    {
        var endpoint = ServerComposition.ShorthandEndpoint(new ConfigurationBuilder().Build());
        Assert.That(endpoint, Is.EqualTo(new IPEndPoint(IPAddress.Loopback, 8080)));
    }

    [Test]
    public void ShorthandEndpoint_PortSetBesideUrls_PortWins()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["urls"] = "http://0.0.0.0:9999", ["Server:Port"] = "9000" }).Build();
        Assert.That(ServerComposition.ShorthandEndpoint(configuration), Is.EqualTo(new IPEndPoint(IPAddress.Loopback, 9000)));
    }

    [Test]
    public void ShorthandEndpoint_OnlyHttpPorts_LeavesItToAspNetCore()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["http_ports"] = "9000" }).Build();
        Assert.That(ServerComposition.ShorthandEndpoint(configuration), Is.Null);
    }
}
