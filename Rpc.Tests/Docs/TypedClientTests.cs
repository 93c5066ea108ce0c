using System.Net.WebSockets;
using Rpc.Contracts.Channels;
using Rpc.Contracts.Guilds;
using Rpc.Contracts.Protocol;
using Rpc.Contracts.Users;
using Rpc.Tests.Infrastructure;
using StreamJsonRpc;

namespace Rpc.Tests.Docs;

/// <summary>A .NET client built by StreamJsonRpc from the Rpc.Contracts interfaces talks to the server over a WebSocket.</summary>
public sealed class TypedClientTests
{
    public static async Task<(JsonRpc Rpc, ClientWebSocket Socket)> ConnectAsync(RpcTestServer server)
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(server.WebSocketUri, CancellationToken.None);
        var formatter = new SystemTextJsonFormatter { JsonSerializerOptions = RpcJson.Create() };
        var rpc = new JsonRpc(new WebSocketMessageHandler(socket, formatter));
        rpc.StartListening();
        return (rpc, socket);
    }

    [Test]
    public async Task TypedClient_CreatesLogsInAndReadsSelf()
    {
        var (rpc, socket) = await ConnectAsync(SharedServer.Instance);
        using var _ = rpc;
        using var __ = socket;
        var users = rpc.Attach<IUsersApi>();
        var name = "typed" + Guid.NewGuid().ToString("N")[..8];
        var created = await users.CreateAsync(name, "typed password");
        Assert.That(created.Username, Is.EqualTo(name));
        Assert.That(await users.CheckAsync(name.ToUpperInvariant()), Is.True);
        var auth = await users.AuthAsync(name, "typed password");
        Assert.That(auth.UserId, Is.EqualTo(created.Id));
        var self = await users.SelfAsync();
        Assert.That(self, Is.EqualTo(created with { Flags = self.Flags, Presence = self.Presence, MfaEnabled = false }));
        Assert.That(self.Presence, Is.EqualTo(PresenceStatus.Online), "an authenticated WebSocket brings the user online");
        Assert.That(self.Flags, Is.Empty);
    }

    [Test]
    public async Task TypedClient_ApplicationError_CarriesCodeAndData()
    {
        var (rpc, socket) = await ConnectAsync(SharedServer.Instance);
        using var _ = rpc;
        using var __ = socket;
        var users = rpc.Attach<IUsersApi>();
        var error = Assert.ThrowsAsync<RemoteInvocationException>(() => users.AuthAsync("nobody" + Guid.NewGuid().ToString("N")[..8], "wrong password"));
        Assert.That(error!.ErrorCode, Is.EqualTo(RpcErrorCodes.ApplicationError));
        Assert.That(error.ErrorData?.ToString(), Does.Contain(ErrorData.InvalidPassword));
    }

    [Test]
    public async Task TypedClient_GuildsDmsAndSessions_RoundTripTheContractTypes()
    {
        var (rpc, socket) = await ConnectAsync(SharedServer.Instance);
        using var _ = rpc;
        using var __ = socket;
        var users = rpc.Attach<IUsersApi>();
        var guilds = rpc.Attach<IGuildsApi>();
        var other = await SharedServer.Instance.NewUserAsync();
        var name = "typed" + Guid.NewGuid().ToString("N")[..8];
        await users.CreateAsync(name, "typed password");
        var me = (await users.AuthAsync(name, "typed password")).UserId;

        var guild = await guilds.CreateAsync("typed guild");
        var invite = await guilds.CreateInviteAsync(guild.Id, maxUses: 2, maxAge: 60);
        Assert.That(invite.ExpiresAt, Is.EqualTo(DateTimeOffset.UtcNow.AddSeconds(60)).Within(TimeSpan.FromSeconds(30)));
        Assert.That(await users.GuildsAsync(), Is.EqualTo(new[] { guild }).Using<Guild>((a, b) => a.Id == b.Id && a.MemberCount == b.MemberCount));

        var request = await rpc.Attach<IRelationshipsApi>().AddAsync(userId: long.Parse(other.Id));
        Assert.That(request.Type, Is.EqualTo(RelationshipType.OutgoingRequest));
        await SharedServer.Instance.ResultAsync("users.relationships.add", new { user_id = me.ToString(System.Globalization.CultureInfo.InvariantCulture) }, other.Token);
        var dm = await users.CreateDmAsync(long.Parse(other.Id));
        Assert.That(dm.Type, Is.EqualTo(ChannelType.Dm));
        Assert.That(dm.Recipients.Select(r => r.Id), Does.Contain(long.Parse(other.Id)));
        Assert.That(await users.PresenceAsync(PresenceStatus.Idle), Is.EqualTo(PresenceStatus.Idle));
        var sessions = await users.SessionsAsync();
        Assert.That(sessions.Single().Current, Is.True);
    }
}
