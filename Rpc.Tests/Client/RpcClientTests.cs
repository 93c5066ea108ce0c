using Rpc.Client;
using Rpc.Contracts.Protocol;
using Rpc.Contracts.Users;
using StreamJsonRpc;

namespace Rpc.Tests.Client;

/// <summary>Rpc.Client's typed proxies of the contract interfaces, over HTTP and over a WebSocket.</summary>
public sealed class RpcClientTests
{
    [Test]
    public async Task OverHttp_TypedProxy_CreatesLogsInAndReadsSelf_WithTheTokenAsBearer()
    {
        await using var client = RpcClient.ForHttp(SharedServer.Instance.RpcUri);
        var users = client.Api<IUsersApi>();
        var name = "http" + Guid.NewGuid().ToString("N")[..8];
        var created = await users.CreateAsync(name, "typed password");
        client.Token = (await users.AuthAsync(name, "typed password")).Token;
        var self = await users.SelfAsync();
        Assert.That(self.Id, Is.EqualTo(created.Id));

        var error = Assert.ThrowsAsync<RemoteInvocationException>(() => users.GetAsync(1));
        Assert.That(error!.ErrorCode, Is.EqualTo(RpcErrorCodes.ApplicationError));
        Assert.That(RpcErrors.DataOf(error), Is.EqualTo(ErrorData.UnknownUser));
        var document = await client.DiscoverAsync();
        Assert.That(document.GetProperty("openrpc").GetString(), Is.EqualTo("1.3.2"));
    }

    [Test]
    public async Task OverWebSocket_TypedProxy_AuthenticatesTheConnection()
    {
        await using var client = await RpcClient.ConnectWebSocketAsync(SharedServer.Instance.WebSocketUri);
        var users = client.Api<IUsersApi>();
        var name = "ws" + Guid.NewGuid().ToString("N")[..8];
        var created = await users.CreateAsync(name, "typed password");
        await users.AuthAsync(name, "typed password");
        Assert.That((await users.SelfAsync()).Id, Is.EqualTo(created.Id));
    }
}
