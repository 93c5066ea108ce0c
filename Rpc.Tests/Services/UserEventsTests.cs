using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Rpc.Contracts.Channels;
using Rpc.Contracts.Guilds;
using Rpc.Contracts.Users;
using Rpc.Server.Data;
using Rpc.Server.Gateway;
using Rpc.Server.Services;
using Rpc.Tests.Infrastructure;
using Rpc.Server.Events;

namespace Rpc.Tests.Services;

/// <summary>Keeps every message published on the bus.</summary>
public sealed class RecordingEventSink : IEventSink
{
    public ConcurrentQueue<BusMessage> Messages { get; } = new();

    public void Deliver(BusMessage message) => Messages.Enqueue(message);

    public DispatchEvent[] Events(string name, Func<DispatchEvent, bool>? where = null) =>
        Messages.OfType<DispatchEvent>().Where(e => e.Name == name && (where?.Invoke(e) ?? true)).ToArray();
}

/// <summary>The events issue 4's methods publish, with their payloads and audiences.</summary>
public sealed class UserEventsTests
{
    private readonly RecordingEventSink sink = new();
    private RpcTestServer server = null!;

    [OneTimeSetUp]
    public async Task StartAsync() =>
        server = await RpcTestServer.StartAsync(
            new Dictionary<string, string?> { ["Gateway:PresenceGracePeriod"] = "00:00:00", ["Gateway:PresenceCoalesceWindow"] = "00:00:00" },
            configureServices: s => s.AddSingleton<IEventSink>(sink));

    [OneTimeTearDown]
    public async Task StopAsync() => await server.DisposeAsync();

    private static long Id(TestUser user) => long.Parse(user.Id);

    [Test]
    public async Task GuildCreate_JoinAndLeave_PublishGuildAndMemberEvents()
    {
        var owner = await server.NewUserAsync();
        var member = await server.NewUserAsync();
        var guildId = long.Parse((await server.ResultAsync("guilds.create", new { name = "events" }, owner.Token)).GetProperty("id").GetString()!);
        var created = sink.Events("GUILD_CREATE", e => ((Guild)e.Payload).Id == guildId).Single();
        Assert.That(created.Audience, Is.EqualTo(new EventAudience.Users([Id(owner)])).Using<EventAudience>(SameAudience));

        var code = (await server.ResultAsync("guilds.invites.create", new { guild_id = guildId.ToString() }, owner.Token)).GetProperty("code").GetString();
        await server.ResultAsync("guilds.join", new { code }, member.Token);
        var toJoiner = sink.Events("GUILD_CREATE", e => ((Guild)e.Payload).Id == guildId).Skip(1).Single();
        Assert.That(((EventAudience.Users)toJoiner.Audience).UserIds, Is.EqualTo(new[] { Id(member) }));
        Assert.That(((Guild)toJoiner.Payload).MemberCount, Is.EqualTo(2));
        var added = sink.Events("GUILD_MEMBER_ADD", e => ((GuildMemberEvent)e.Payload).GuildId == guildId).Single();
        Assert.That(added.Audience, Is.EqualTo(new EventAudience.GuildMembers(guildId)));
        Assert.That(((GuildMemberEvent)added.Payload).User.Id, Is.EqualTo(Id(member)));

        // Joining again is idempotent and publishes nothing new.
        await server.ResultAsync("guilds.join", new { code }, member.Token);
        Assert.That(sink.Events("GUILD_MEMBER_ADD", e => ((GuildMemberEvent)e.Payload).GuildId == guildId), Has.Length.EqualTo(1));

        await server.ResultAsync("users.leaveGuild", new { guild_id = guildId.ToString() }, member.Token);
        var deleted = sink.Events("GUILD_DELETE", e => ((GuildDeleted)e.Payload).Id == guildId).Single();
        Assert.That(((EventAudience.Users)deleted.Audience).UserIds, Is.EqualTo(new[] { Id(member) }));
        var removed = sink.Events("GUILD_MEMBER_REMOVE", e => ((GuildMemberEvent)e.Payload).GuildId == guildId).Single();
        Assert.That(removed.Audience, Is.EqualTo(new EventAudience.GuildMembers(guildId)));
        Assert.That(((GuildMemberEvent)removed.Payload).User.Id, Is.EqualTo(Id(member)));

        // A refused leave publishes nothing.
        await server.ErrorAsync("users.leaveGuild", new { guild_id = guildId.ToString() }, owner.Token);
        Assert.That(sink.Events("GUILD_DELETE", e => ((GuildDeleted)e.Payload).Id == guildId), Has.Length.EqualTo(1));
    }

    [Test]
    public async Task Update_PublishesUserUpdate_ToUserAndObservers_OnlyOnSuccess()
    {
        var user = await server.NewUserAsync();
        var other = await server.NewUserAsync();
        await server.ResultAsync("users.update", new { display_name = "Evented" }, user.Token);
        var update = sink.Events("USER_UPDATE", e => ((User)e.Payload).Id == Id(user)).Single();
        Assert.That(update.Audience, Is.EqualTo(new EventAudience.UserAndObservers(Id(user))));
        Assert.That(((User)update.Payload).DisplayName, Is.EqualTo("Evented"));

        await server.ErrorAsync("users.update", new { username = other.Username }, user.Token);
        await server.ResultAsync("users.update", new { display_name = "Evented" }, user.Token);
        Assert.That(sink.Events("USER_UPDATE", e => ((User)e.Payload).Id == Id(user)), Has.Length.EqualTo(1), "neither an error nor a no-op publishes");
    }

    [Test]
    public async Task Presence_PublishesPresenceUpdate_WhenTheStatusChanges()
    {
        var user = await server.NewUserAsync();
        await server.ResultAsync("users.presence", new { status = "INVISIBLE" }, user.Token);
        await server.ResultAsync("users.presence", new { status = "INVISIBLE" }, user.Token);
        var updates = sink.Events("PRESENCE_UPDATE", e => ((PresenceUpdate)e.Payload).UserId == Id(user));
        Assert.That(updates, Has.Length.EqualTo(2), "one event for the user, one for its observers; the repeated status publishes nothing");
        var own = updates.Single(e => e.Audience is EventAudience.Users);
        Assert.That(((PresenceUpdate)own.Payload).Status, Is.EqualTo(PresenceStatus.Invisible), "the user sees its real status");
        Assert.That(((EventAudience.Users)own.Audience).UserIds, Is.EqualTo(new[] { Id(user) }));
        var others = updates.Single(e => e.Audience is EventAudience.Observers);
        Assert.That(((PresenceUpdate)others.Payload).Status, Is.EqualTo(PresenceStatus.Offline), "others see INVISIBLE as OFFLINE");
        Assert.That(others.Audience, Is.EqualTo(new EventAudience.Observers(Id(user))));
    }

    [Test]
    public async Task Dm_PublishesChannelCreate_ToBoth_OnlyWhenCreated()
    {
        var alice = await server.NewUserAsync();
        var bob = await server.NewUserAsync();
        await server.MakeFriendsAsync(alice, bob);
        await server.ResultAsync("users.presence", new { status = "INVISIBLE" }, alice.Token);
        var channelId = long.Parse((await server.ResultAsync("users.createDm", new { recipient_id = bob.Id }, alice.Token)).GetProperty("id").GetString()!);
        await server.ResultAsync("users.createDm", new { recipient_id = alice.Id }, bob.Token);
        var events = sink.Events("CHANNEL_CREATE", e => ((Channel)e.Payload).Id == channelId);
        Assert.That(events, Has.Length.EqualTo(1));
        Assert.That(((EventAudience.Users)events[0].Audience).UserIds, Is.EquivalentTo(new[] { Id(alice), Id(bob) }));
        var payload = (Channel)events[0].Payload;
        Assert.That(payload.Type, Is.EqualTo(ChannelType.Dm));
        Assert.That(payload.Recipients.Select(r => r.Presence), Is.All.Null, "the invisible status must not leak through the event");
    }

    [Test]
    public async Task GroupDm_PublishesChannelCreate_ToOwnerAndRecipients()
    {
        var owner = await server.NewUserAsync();
        var bob = await server.NewUserAsync();
        var carol = await server.NewUserAsync();
        await server.MakeFriendsAsync(owner, [bob, carol]);
        var channelId = long.Parse((await server.ResultAsync("users.createGroupDm", new { recipient_ids = new[] { bob.Id, carol.Id }, name = "g" }, owner.Token)).GetProperty("id").GetString()!);
        var created = sink.Events("CHANNEL_CREATE", e => ((Channel)e.Payload).Id == channelId).Single();
        Assert.That(((EventAudience.Users)created.Audience).UserIds, Is.EquivalentTo(new[] { Id(owner), Id(bob), Id(carol) }));
        Assert.That(((Channel)created.Payload).OwnerId, Is.EqualTo(Id(owner)));
    }

    [Test]
    public async Task RevokeAndChangePassword_CloseTheEndedSessionsWith4004()
    {
        var user = await server.NewUserAsync();
        await server.ResultAsync("users.auth", new { username = user.Username, password = user.Password });
        await server.ResultAsync("users.auth", new { username = user.Username, password = user.Password });
        var sessions = await server.ResultAsync("users.sessions", token: user.Token);
        var others = sessions.EnumerateArray().Where(s => !s.GetProperty("current").GetBoolean()).Select(s => long.Parse(s.GetProperty("id").GetString()!)).ToArray();
        var current = sessions.EnumerateArray().Where(s => s.GetProperty("current").GetBoolean()).Select(s => long.Parse(s.GetProperty("id").GetString()!)).Single();

        await server.ResultAsync("users.sessions.revoke", new { session_id = others[0].ToString() }, user.Token);
        await server.ResultAsync("users.changePassword", new { old_password = user.Password, new_password = "another good one" }, user.Token);
        var closes = sink.Messages.OfType<CloseConnections>().Where(c => c.UserId == Id(user)).ToArray();
        Assert.That(closes.Select(c => c.SessionId), Is.EqualTo(new long?[] { others[0], others[1] }));
        Assert.That(closes.Select(c => (c.CloseCode, c.Reason)), Is.All.EqualTo((4004, "session revoked")));
        Assert.That(closes.Select(c => c.SessionId), Does.Not.Contain(current));
    }

    [Test]
    public async Task Observers_AreGuildMatesAndFriends_NotDmPartners()
    {
        var user = await server.NewUserAsync();
        var guildMate = await server.NewUserAsync();
        var friend = await server.NewUserAsync();
        var dmPartner = await server.NewUserAsync();
        var stranger = await server.NewUserAsync();
        var guildId = (await server.ResultAsync("guilds.create", new { name = "observed" }, user.Token)).GetProperty("id").GetString();
        var code = (await server.ResultAsync("guilds.invites.create", new { guild_id = guildId }, user.Token)).GetProperty("code").GetString();
        await server.ResultAsync("guilds.join", new { code }, guildMate.Token);
        await server.MakeFriendsAsync(user, friend);

        // A DM made before consent existed (as the data before migration 0011 holds) makes no observer.
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await using (var connection = await server.OpenDatabaseAsync())
        {
            await Dapper.SqlMapper.ExecuteAsync(connection, "INSERT INTO channels (id, type, dm_key, created_at) VALUES (@id, 2, @key, @now)", new { id = now, key = $"{Id(user)}:{Id(dmPartner)}", now });
            await Dapper.SqlMapper.ExecuteAsync(connection, "INSERT INTO channel_recipients (channel_id, user_id, joined_at) VALUES (@id, @a, @now), (@id, @b, @now)", new { id = now, a = Id(user), b = Id(dmPartner), now });
        }

        var observers = await server.Get<ObserverRepository>().ObserversOfAsync(Id(user), CancellationToken.None);
        Assert.That(observers, Is.EquivalentTo(new[] { Id(guildMate), Id(friend) }));
        Assert.That(observers, Does.Not.Contain(Id(stranger)).And.Not.Contain(Id(dmPartner)));
    }

    [Test]
    public async Task PresenceService_ConnectionsDrivePresence()
    {
        var user = await server.NewUserAsync();
        var presence = server.Get<PresenceService>();
        var id = Id(user);
        presence.SetChosenStatus(id, PresenceStatus.Dnd);
        presence.ConnectionOpened(id);
        presence.ConnectionOpened(id);
        Assert.That(presence.GetStatus(id), Is.EqualTo(PresenceStatus.Dnd));
        presence.ConnectionClosed(id);
        Assert.That(presence.GetStatus(id), Is.EqualTo(PresenceStatus.Dnd), "one connection is still open");
        presence.ConnectionClosed(id);
        await Eventually.WaitUntilAsync(() => presence.GetStatus(id) == PresenceStatus.Offline);

        Assert.That(presence.GetStatus(id), Is.EqualTo(PresenceStatus.Offline), "offline once the (here zero) grace period has passed");
        Assert.That((await server.ResultAsync("users.self", token: user.Token)).GetProperty("presence").GetString(), Is.EqualTo("OFFLINE"));
        var statuses = sink.Events("PRESENCE_UPDATE", e => ((PresenceUpdate)e.Payload).UserId == id && e.Audience is EventAudience.Users).Select(e => ((PresenceUpdate)e.Payload).Status);
        Assert.That(statuses, Is.EqualTo(new[] { PresenceStatus.Dnd, PresenceStatus.Offline }));
        Assert.That((await server.ResultAsync("users.presence", new { status = "IDLE" }, user.Token)).GetString(), Is.EqualTo("IDLE"), "users.presence always returns the new status");
    }

    private static bool SameAudience(EventAudience a, EventAudience b) =>
        (a, b) switch
        {
            (EventAudience.Users x, EventAudience.Users y) => x.UserIds.SequenceEqual(y.UserIds),
            _ => a.Equals(b),
        };
}
