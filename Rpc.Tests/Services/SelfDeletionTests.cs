using Microsoft.Extensions.DependencyInjection;
using Rpc.Server.Gateway;
using Rpc.Tests.Infrastructure;
using Rpc.Server.Events;

namespace Rpc.Tests.Services;

/// <summary>users.delete: the caller deletes its own account with staff's soft delete, over both transports.</summary>
[TestFixture(TransportKind.Http)]
[TestFixture(TransportKind.WebSocket)]
public sealed class SelfDeletionTests(TransportKind transport)
{
    private readonly CapturingEventSink events = new();
    private RpcTestServer server = null!;
    private TestUser staff = null!;
    private TransportCalls rpc = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        server = await RpcTestServer.StartAsync(configureServices: s => s.AddSingleton<IEventSink>(events));
        staff = await server.NewStaffAsync();
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await server.DisposeAsync();

    [SetUp]
    public async Task OpenAsync() => rpc = await TransportCalls.OpenAsync(server, transport);

    [TearDown]
    public async Task CloseAsync() => await rpc.DisposeAsync();

    [Test]
    public async Task Delete_WithThePassword_DeletesTheAccount_EndsItsRelationshipsAndSessions()
    {
        var doomed = await server.NewUserAsync();
        var friend = await server.NewUserAsync();
        await server.MakeFriendsAsync(doomed, friend);
        Assert.That(await rpc.ErrorDataAsync("users.delete", new { password = "not the password" }, doomed.Token), Is.EqualTo("invalid password"));
        Assert.That((await rpc.ResultAsync("users.self", token: doomed.Token)).GetProperty("username").GetString(), Is.EqualTo(doomed.Username), "a wrong password deletes nothing");

        Assert.That((await rpc.ResultAsync("users.delete", new { password = doomed.Password }, doomed.Token)).GetBoolean(), Is.True);
        Assert.That(await rpc.ErrorDataAsync("users.self", token: doomed.Token), Is.EqualTo("invalid or revoked token"));
        Assert.That((await rpc.ResultAsync("users.check", new { username = doomed.Username })).GetBoolean(), Is.False, "the name is released");
        Assert.That((await rpc.ResultAsync("users.relationships", token: friend.Token)).GetArrayLength(), Is.Zero);
        Assert.That((await rpc.ErrorAsync("users.auth", new { username = doomed.Username, password = doomed.Password })).GetProperty("data").GetString(), Is.EqualTo("invalid password"));
    }

    [Test]
    public async Task Delete_IsRefusedForStaff()
    {
        Assert.That(await rpc.ErrorDataAsync("users.delete", new { password = staff.Password }, staff.Token),
            Is.EqualTo("staff accounts cannot delete themselves; remove the Staff flag first (./run.sh manage remove-staff <username>)"));
        Assert.That((await rpc.ResultAsync("users.self", token: staff.Token)).GetProperty("username").GetString(), Is.EqualTo(staff.Username));
    }

    [Test]
    public async Task Delete_SendsTheSameEvents_AsAStaffDeletion()
    {
        var bySelf = await DeletionEventsAsync(doomed => rpc.ResultAsync("users.delete", new { password = doomed.Password }, doomed.Token));
        var byStaff = await DeletionEventsAsync(doomed => rpc.ResultAsync("admin.users.delete", new { user_id = doomed.Id }, staff.Token));
        Assert.That(bySelf, Is.EqualTo(byStaff));
        Assert.That(bySelf, Does.Contain("RELATIONSHIP_REMOVE to friend").And.Contain("GUILD_MEMBER_REMOVE").And.Contain("CHANNEL_RECIPIENT_REMOVE to friend").And.Contain("close 4005"));
    }

    /// <summary>Deletes a user who has a guild mate, a friend and a group DM; returns what went on the bus, named by role.</summary>
    private async Task<string[]> DeletionEventsAsync(Func<TestUser, Task> delete)
    {
        var doomed = await server.NewUserAsync();
        var mate = await server.NewUserAsync();
        var friend = await server.NewUserAsync();
        await server.ShareGuildAsync(mate, doomed);
        await server.MakeFriendsAsync(doomed, friend);
        await server.ResultAsync("users.createGroupDm", new { recipient_ids = new[] { friend.Id } }, doomed.Token);
        var roles = new Dictionary<long, string> { [long.Parse(doomed.Id)] = "doomed", [long.Parse(mate.Id)] = "mate", [long.Parse(friend.Id)] = "friend" };
        var skip = events.Messages.Count;
        await delete(doomed);

        // What clients receive: events and connection closes (not cache invalidations or rate-limit charges).
        return events.Messages.Skip(skip).Select(m => m switch
        {
            DispatchEvent { Audience: EventAudience.Users users } e => $"{e.Name} to {string.Join(",", users.UserIds.Select(id => roles.GetValueOrDefault(id, "?")))}",
            DispatchEvent e => e.Name,
            CloseConnections c => $"close {c.CloseCode}",
            _ => null,
        }).OfType<string>().ToArray();
    }
}
