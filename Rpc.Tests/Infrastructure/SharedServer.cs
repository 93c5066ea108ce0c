using Rpc.Tests.Infrastructure;

namespace Rpc.Tests;

/// <summary>One server shared by the tests that need no special configuration; each test uses fresh user names.</summary>
[SetUpFixture]
public sealed class SharedServer
{
    private static RpcTestServer? server;

    public static RpcTestServer Instance => server ?? throw new InvalidOperationException("the shared server is not running");

    [OneTimeSetUp]
    public async Task StartAsync() => server = await RpcTestServer.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (server is not null)
        {
            await server.DisposeAsync();
        }
    }
}
