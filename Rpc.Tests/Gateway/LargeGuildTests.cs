using System.Text.Json;
using Rpc.Server.Events;
using Rpc.Server.Gateway;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Gateway;

/// <summary>
/// Large guilds (issue 17, item 5), on a server whose <c>Gateway:LargeThreshold</c> is 3: a guild of four members
/// is large. Its presence changes reach only the sessions subscribed with <c>gateway.guildSubscribe</c>; READY
/// flags it <c>large</c>; <c>guilds.members</c> pages through its members. Whether an event did not arrive is
/// proved by order, not by waiting: the gateway delivers in publication order, so a marker event published after
/// the change arriving without it means the change was not sent.
/// </summary>
public sealed class LargeGuildTests
{
    private const int MaxSubscriptions = 2;
    private const int ReadyPresences = 2;
    private RpcTestServer server = null!;
    private int markers;

    [OneTimeSetUp]
    public async Task StartAsync() => server = await RpcTestServer.StartAsync(new Dictionary<string, string?>
    {
        ["Gateway:LargeThreshold"] = "3",
        ["Gateway:MaxGuildSubscriptions"] = MaxSubscriptions.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Gateway:ReadyPresencesPerLargeGuild"] = ReadyPresences.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Gateway:PresenceCoalesceWindow"] = "00:00:00",
        ["RateLimits:PresencePerUser:Burst"] = "1000",
    });

    [OneTimeTearDown]
    public async Task StopAsync() => await server.DisposeAsync();

    private static string? Data(JsonElement error) => error.GetProperty("data").GetString();

    private static string? ReplyData(JsonElement reply) => reply.GetProperty("error").GetProperty("data").GetString();

    /// <summary>A guild owned by <paramref name="owner"/> with <paramref name="members"/> in it; returns its id.</summary>
    private Task<string> GuildAsync(TestUser owner, params TestUser[] members) => server.ShareGuildAsync(owner, members);

    private async Task<TestUser[]> UsersAsync(int count)
    {
        var users = new TestUser[count];
        for (var i = 0; i < count; i++)
        {
            users[i] = await server.NewUserAsync("large");
        }

        return users;
    }

    /// <summary>
    /// Publishes a marker event to <paramref name="user"/> and reads <paramref name="client"/>'s events up to it;
    /// returns the statuses of <paramref name="subject"/> among the PRESENCE_UPDATEs that came before it.
    /// </summary>
    private async Task<List<string>> PresencesBeforeMarkerAsync(GatewayClient client, TestUser user, TestUser subject)
    {
        var marker = Interlocked.Increment(ref markers);
        server.Get<IEventBus>().Publish(new DispatchEvent("TEST_MARKER", new { n = marker }, new EventAudience.Users([long.Parse(user.Id)])));
        var statuses = new List<string>();
        while (true)
        {
            var e = await client.NextEventAsync();
            var name = e.GetProperty("t").GetString();
            if (name == "TEST_MARKER" && e.GetProperty("d").GetProperty("n").GetInt32() == marker)
            {
                return statuses;
            }

            if (name == "PRESENCE_UPDATE" && e.GetProperty("d").GetProperty("user_id").GetString() == subject.Id)
            {
                statuses.Add(e.GetProperty("d").GetProperty("status").GetString()!);
            }
        }
    }

    /// <summary>The status of the next PRESENCE_UPDATE of <paramref name="subject"/> (with <paramref name="status"/>, the next with that status).</summary>
    private static async Task<string> NextPresenceOfAsync(GatewayClient client, TestUser subject, string? status = null)
    {
        while (true)
        {
            var e = await client.NextEventAsync("PRESENCE_UPDATE");
            if (e.GetProperty("d").GetProperty("user_id").GetString() == subject.Id && (status is null || e.GetProperty("d").GetProperty("status").GetString() == status))
            {
                return e.GetProperty("d").GetProperty("status").GetString()!;
            }
        }
    }

    [Test]
    public async Task Presence_InLargeGuild_GoesOnlyToSubscribedSessions_UntilTheyUnsubscribe()
    {
        var (owner, users) = (await server.NewUserAsync("large"), await UsersAsync(3));
        var (subscriber, bystander, subject) = (users[0], users[1], users[2]);
        var guildId = await GuildAsync(owner, users);
        await using var subscribed = await GatewayClient.IdentifyAsync(server, subscriber.Token);
        await using var unsubscribed = await GatewayClient.IdentifyAsync(server, bystander.Token);
        Assert.That((await subscribed.CallAsync("gateway.guildSubscribe", new { guild_id = guildId })).GetProperty("result").GetBoolean(), Is.True);
        Assert.That((await subscribed.CallAsync("gateway.guildSubscribe", new { guild_id = guildId })).GetProperty("result").GetBoolean(), Is.False, "already subscribed");

        await using var subjectClient = await GatewayClient.IdentifyAsync(server, subject.Token);
        Assert.That(await NextPresenceOfAsync(subscribed, subject), Is.EqualTo("ONLINE"));
        Assert.That(await PresencesBeforeMarkerAsync(unsubscribed, bystander, subject), Is.Empty, "a member who did not subscribe got a large guild's presence");

        Assert.That((await subscribed.CallAsync("gateway.guildUnsubscribe", new { guild_id = guildId })).GetProperty("result").GetBoolean(), Is.True);
        Assert.That((await subscribed.CallAsync("gateway.guildUnsubscribe", new { guild_id = guildId })).GetProperty("result").GetBoolean(), Is.False, "no longer subscribed");
        await server.ResultAsync("users.presence", new { status = "DND" }, subject.Token);
        Assert.That(await NextPresenceOfAsync(subjectClient, subject, "DND"), Is.EqualTo("DND"), "the user's own session still gets its change");
        Assert.That(await PresencesBeforeMarkerAsync(subscribed, subscriber, subject), Is.Empty, "an unsubscribed session still got the presence");
    }

    [Test]
    public async Task Presence_InSmallGuild_GoesToEveryMember_WithoutSubscription()
    {
        var (owner, users) = (await server.NewUserAsync("large"), await UsersAsync(2));
        await GuildAsync(owner, users);
        await using var member = await GatewayClient.IdentifyAsync(server, users[0].Token);
        Assert.That(member.Ready.GetProperty("d").GetProperty("guilds")[0].GetProperty("large").GetBoolean(), Is.False);

        await using var subject = await GatewayClient.IdentifyAsync(server, users[1].Token);
        Assert.That(await NextPresenceOfAsync(member, users[1]), Is.EqualTo("ONLINE"));
    }

    [Test]
    public async Task Presence_InLargeGuild_AlsoComesThroughASmallGuildOrFriendship_OnceEach()
    {
        var (owner, users) = (await server.NewUserAsync("large"), await UsersAsync(3));
        var (watcher, friend) = (users[0], users[1]);
        var largeId = await GuildAsync(owner, users);
        await server.MakeFriendsAsync(watcher, friend);
        await using var watching = await GatewayClient.IdentifyAsync(server, watcher.Token);
        await watching.CallAsync("gateway.guildSubscribe", new { guild_id = largeId });

        await using var subject = await GatewayClient.IdentifyAsync(server, friend.Token);
        Assert.That(await PresencesBeforeMarkerAsync(watching, watcher, friend), Is.EqualTo(new[] { "ONLINE" }), "a friend in a subscribed large guild gets the change once");
    }

    [Test]
    public async Task Presence_InLargeGuild_SkipsSubscribersAcrossABlock()
    {
        var (owner, users) = (await server.NewUserAsync("large"), await UsersAsync(3));
        var (blocker, subject) = (users[0], users[1]);
        var guildId = await GuildAsync(owner, users);
        await server.ResultAsync("users.relationships.block", new { user_id = subject.Id }, blocker.Token);
        await using var blocking = await GatewayClient.IdentifyAsync(server, blocker.Token);
        await blocking.CallAsync("gateway.guildSubscribe", new { guild_id = guildId });

        await using var subjectClient = await GatewayClient.IdentifyAsync(server, subject.Token);
        Assert.That(await PresencesBeforeMarkerAsync(blocking, blocker, subject), Is.Empty);
    }

    [Test]
    public async Task Ready_LargeGuild_IsFlaggedWithItsMemberCount_AndListsOnlyOnlineMembers()
    {
        var (owner, users) = (await server.NewUserAsync("large"), await UsersAsync(3));
        var (reader, online, wentOffline) = (users[0], users[1], users[2]);
        var guildId = await GuildAsync(owner, users);
        await using var onlineClient = await GatewayClient.IdentifyAsync(server, online.Token);
        await using (var gone = await GatewayClient.IdentifyAsync(server, wentOffline.Token))
        {
        }

        await GatewaySessionTests.WaitUntilAsync(() => server.Get<Rpc.Server.Services.PresenceService>().GetStatus(long.Parse(wentOffline.Id)) == Rpc.Contracts.Users.PresenceStatus.Offline);
        await using var readerClient = await GatewayClient.IdentifyAsync(server, reader.Token);
        var ready = readerClient.Ready.GetProperty("d");
        var guild = ready.GetProperty("guilds").EnumerateArray().Single();
        Assert.That(guild.GetProperty("id").GetString(), Is.EqualTo(guildId));
        Assert.That(guild.GetProperty("large").GetBoolean(), Is.True);
        Assert.That(guild.GetProperty("member_count").GetInt32(), Is.EqualTo(4));
        var present = ready.GetProperty("presences").EnumerateArray().Select(p => p.GetProperty("user_id").GetString()).ToList();
        Assert.That(present, Does.Contain(online.Id));
        Assert.That(present, Does.Not.Contain(wentOffline.Id));
        Assert.That(present, Does.Not.Contain(owner.Id), "the owner never connected");
        Assert.That(guild.GetProperty("presences_truncated").GetBoolean(), Is.False, "one online member, below the cap of READY");

        var got = await server.ResultAsync("guilds.get", new { guild_id = guildId }, reader.Token);
        Assert.That(got.TryGetProperty("large", out _), Is.False, "large is READY's only");
    }

    /// <summary>
    /// READY lists at most <c>Gateway:ReadyPresencesPerLargeGuild</c> (2 here) of a large guild's online members, those
    /// with the lowest ids (never the reader, an invisible member or one across a block), says so with
    /// <c>presences_truncated</c>, and <c>guilds.members</c> after the last of them gives the others' presence.
    /// </summary>
    [Test]
    public async Task Ready_LargeGuild_ListsAtMostTheCapOfOnlineMembers_LowestIdsFirst_AndSaysItIsTruncated()
    {
        var owner = await server.NewUserAsync("large");
        var users = await UsersAsync(6);
        var (reader, invisible, blocker, first, second, third) = (users[0], users[1], users[2], users[3], users[4], users[5]);
        var guildId = await GuildAsync(owner, users);
        var small = await GuildAsync(owner, third);
        await server.ResultAsync("users.presence", new { status = "INVISIBLE" }, invisible.Token);
        await server.ResultAsync("users.presence", new { status = "IDLE" }, blocker.Token);
        await server.ResultAsync("users.relationships.block", new { user_id = reader.Id }, blocker.Token);
        await server.ResultAsync("users.presence", new { status = "DND" }, first.Token);
        await server.ResultAsync("users.presence", new { status = "ONLINE" }, second.Token);
        await server.ResultAsync("users.presence", new { status = "ONLINE" }, third.Token);

        await using var readerClient = await GatewayClient.IdentifyAsync(server, reader.Token);
        var ready = readerClient.Ready.GetProperty("d");
        var guild = ready.GetProperty("guilds").EnumerateArray().Single(g => g.GetProperty("id").GetString() == guildId);
        Assert.That(guild.GetProperty("large").GetBoolean(), Is.True);
        Assert.That(guild.GetProperty("presences_truncated").GetBoolean(), Is.True);
        var presences = ready.GetProperty("presences").EnumerateArray().ToDictionary(p => p.GetProperty("user_id").GetString()!, p => p.GetProperty("status").GetString());
        Assert.That(presences, Is.EqualTo(new Dictionary<string, string?> { [first.Id] = "DND", [second.Id] = "ONLINE" }), "the two online members with the lowest ids");

        var rest = await server.ResultAsync("guilds.members", new { guild_id = guildId, after = second.Id }, reader.Token);
        Assert.That(rest.EnumerateArray().Select(m => (m.GetProperty("user").GetProperty("id").GetString(), m.GetProperty("user").GetProperty("presence").GetString())),
            Is.EqualTo(new[] { (third.Id, "ONLINE") }), "guilds.members pages on after the last one READY listed");

        // The small guild the owner shares with the third member is not large: its presences are READY's whole.
        await using var ownerClient = await GatewayClient.IdentifyAsync(server, owner.Token);
        var ownerReady = ownerClient.Ready.GetProperty("d");
        var smallGuild = ownerReady.GetProperty("guilds").EnumerateArray().Single(g => g.GetProperty("id").GetString() == small);
        Assert.That(smallGuild.TryGetProperty("presences_truncated", out _), Is.False, "a small guild has no presences_truncated");
        Assert.That(ownerReady.GetProperty("presences").EnumerateArray().Select(p => p.GetProperty("user_id").GetString()), Does.Contain(third.Id),
            "a member of a small guild is listed whatever the large guild's cap");
    }

    [Test]
    public async Task Subscription_EndsWhenTheUserLeavesTheGuild()
    {
        var (owner, users) = (await server.NewUserAsync("large"), await UsersAsync(3));
        var (leaver, subject) = (users[0], users[1]);
        var guildId = await GuildAsync(owner, users);
        await using var leaving = await GatewayClient.IdentifyAsync(server, leaver.Token);
        await leaving.CallAsync("gateway.guildSubscribe", new { guild_id = guildId });
        await using var subjectClient = await GatewayClient.IdentifyAsync(server, subject.Token);
        Assert.That(await NextPresenceOfAsync(leaving, subject), Is.EqualTo("ONLINE"));

        await server.ResultAsync("users.leaveGuild", new { guild_id = guildId }, leaver.Token);
        await leaving.NextEventAsync("GUILD_DELETE");
        await server.ResultAsync("users.presence", new { status = "IDLE" }, subject.Token);
        Assert.That(await NextPresenceOfAsync(subjectClient, subject, "IDLE"), Is.EqualTo("IDLE"));
        Assert.That(await PresencesBeforeMarkerAsync(leaving, leaver, subject), Is.Empty, "a former member still got the guild's presence");
        Assert.That((await leaving.CallAsync("gateway.guildUnsubscribe", new { guild_id = guildId })).GetProperty("result").GetBoolean(), Is.False, "the leave ended the subscription");
    }

    [Test]
    public async Task Subscription_EndsWithTheSession()
    {
        var (owner, users) = (await server.NewUserAsync("large"), await UsersAsync(3));
        var guildId = long.Parse(await GuildAsync(owner, users));
        var subscriptions = server.Get<GuildSubscriptions>();
        var client = await GatewayClient.IdentifyAsync(server, users[0].Token);
        await client.CallAsync("gateway.guildSubscribe", new { guild_id = guildId.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        Assert.That(subscriptions.SubscribersOf(guildId), Is.EqualTo(1));

        await client.Ws.Socket.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
        await client.DisposeAsync();
        await GatewaySessionTests.WaitUntilAsync(() => subscriptions.SubscribersOf(guildId) == 0);
    }

    [Test]
    public async Task Subscribe_RefusesNonMembersUnknownGuildsBadParamsHttpAndConnectionsWithoutASession()
    {
        var (owner, users) = (await server.NewUserAsync("large"), await UsersAsync(1));
        var stranger = await server.NewUserAsync("large");
        var guildId = await GuildAsync(owner, users);
        await using var strangerClient = await GatewayClient.IdentifyAsync(server, stranger.Token);
        var notMember = await strangerClient.CallAsync("gateway.guildSubscribe", new { guild_id = guildId });
        var unknown = await strangerClient.CallAsync("gateway.guildSubscribe", new { guild_id = "1" });
        Assert.That(ReplyData(notMember), Is.EqualTo("unknown guild"));
        Assert.That(notMember.GetProperty("error").ToString(), Is.EqualTo(unknown.GetProperty("error").ToString()), "a non-member learns nothing about the guild");
        Assert.That(server.Get<GuildSubscriptions>().SubscribersOf(long.Parse(guildId)), Is.Zero, "the refused subscription was not kept");

        var badParams = await strangerClient.CallAsync("gateway.guildSubscribe", new { guild_id = "not a number" });
        Assert.That(badParams.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32602));
        var missing = await strangerClient.CallAsync("gateway.guildSubscribe", new { });
        Assert.That(missing.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32602));

        Assert.That(Data(await server.ErrorAsync("gateway.guildSubscribe", new { guild_id = guildId }, users[0].Token)), Is.EqualTo("this method works only on a WebSocket connection"));
        await using var anonymous = await GatewayClient.ConnectAsync(server);
        var noSession = await anonymous.CallAsync("gateway.guildSubscribe", new { guild_id = guildId }, auth: users[0].Token);
        Assert.That(ReplyData(noSession), Is.EqualTo("this connection has no gateway session: call users.identify on it first"));
        var noSessionUnsubscribe = await anonymous.CallAsync("gateway.guildUnsubscribe", new { guild_id = guildId }, auth: users[0].Token);
        Assert.That(ReplyData(noSessionUnsubscribe), Is.EqualTo("this connection has no gateway session: call users.identify on it first"));
    }

    [Test]
    public async Task Subscribe_PastTheCap_IsRefused_AndAnUnsubscribeMakesRoom()
    {
        var owner = await server.NewUserAsync("large");
        var guilds = new List<string>();
        for (var i = 0; i <= MaxSubscriptions; i++)
        {
            guilds.Add(await GuildAsync(owner));
        }

        await using var client = await GatewayClient.IdentifyAsync(server, owner.Token);
        foreach (var guildId in guilds.Take(MaxSubscriptions))
        {
            Assert.That((await client.CallAsync("gateway.guildSubscribe", new { guild_id = guildId })).GetProperty("result").GetBoolean(), Is.True);
        }

        var refused = await client.CallAsync("gateway.guildSubscribe", new { guild_id = guilds[^1] });
        Assert.That(ReplyData(refused), Is.EqualTo($"this gateway session already subscribes to {MaxSubscriptions} guilds, the most one may: unsubscribe from one first"));
        Assert.That((await client.CallAsync("gateway.guildSubscribe", new { guild_id = guilds[0] })).GetProperty("result").GetBoolean(), Is.False, "an existing subscription is not refused at the cap");

        await client.CallAsync("gateway.guildUnsubscribe", new { guild_id = guilds[0] });
        Assert.That((await client.CallAsync("gateway.guildSubscribe", new { guild_id = guilds[^1] })).GetProperty("result").GetBoolean(), Is.True);
    }

    [Test]
    public async Task Members_PagesByUserId_WithPresenceAsTheCallerMaySeeIt()
    {
        var (owner, users) = (await server.NewUserAsync("large"), await UsersAsync(4));
        var guildId = await GuildAsync(owner, users);
        var (caller, invisible, blocked) = (users[0], users[1], users[2]);
        await server.ResultAsync("users.presence", new { status = "INVISIBLE" }, invisible.Token);
        await server.ResultAsync("users.presence", new { status = "DND" }, blocked.Token);
        await server.ResultAsync("users.presence", new { status = "IDLE" }, users[3].Token);
        await server.ResultAsync("users.relationships.block", new { user_id = caller.Id }, blocked.Token);

        var all = new List<JsonElement>();
        string? after = null;
        while (true)
        {
            var page = await server.ResultAsync("guilds.members", after is null ? new { guild_id = guildId, limit = 2 } : new { guild_id = guildId, limit = 2, after }, caller.Token);
            all.AddRange(page.EnumerateArray());
            if (page.GetArrayLength() < 2)
            {
                break;
            }

            after = page[1].GetProperty("user").GetProperty("id").GetString();
        }

        var ids = all.Select(m => m.GetProperty("user").GetProperty("id").GetString()!).ToList();
        Assert.That(ids, Is.EqualTo(new[] { owner, caller, invisible, blocked, users[3] }.Select(u => u.Id).OrderBy(long.Parse).ToList()));
        string? PresenceOf(TestUser u) => all.Single(m => m.GetProperty("user").GetProperty("id").GetString() == u.Id).GetProperty("user").GetProperty("presence").GetString();
        Assert.That(PresenceOf(invisible), Is.EqualTo("OFFLINE"));
        Assert.That(PresenceOf(blocked), Is.EqualTo("OFFLINE"), "across a block, as an invisible user looks: no status would reveal the block");
        Assert.That(PresenceOf(users[3]), Is.EqualTo("IDLE"));
        Assert.That(all[0].GetProperty("joined_at").GetDateTimeOffset(), Is.EqualTo(DateTimeOffset.UtcNow).Within(TimeSpan.FromMinutes(5)));

        var defaultPage = await server.ResultAsync("guilds.members", new { guild_id = guildId }, caller.Token);
        Assert.That(defaultPage.GetArrayLength(), Is.EqualTo(5));
    }

    [Test]
    public async Task Members_RefusesNonMembersUnknownGuildsAndLimitsOutOfRange()
    {
        var (owner, stranger) = (await server.NewUserAsync("large"), await server.NewUserAsync("large"));
        var guildId = await GuildAsync(owner);
        Assert.That(Data(await server.ErrorAsync("guilds.members", new { guild_id = guildId }, stranger.Token)), Is.EqualTo("unknown guild"));
        Assert.That(Data(await server.ErrorAsync("guilds.members", new { guild_id = "1" }, owner.Token)), Is.EqualTo("unknown guild"));
        Assert.That(Data(await server.ErrorAsync("guilds.members", new { guild_id = guildId, limit = 0 }, owner.Token)), Is.EqualTo("limit must be between 1 and 100"));
        Assert.That(Data(await server.ErrorAsync("guilds.members", new { guild_id = guildId, limit = 101 }, owner.Token)), Is.EqualTo("limit must be between 1 and 100"));
        Assert.That((await server.ErrorAsync("guilds.members", new { guild_id = "x" }, owner.Token)).GetProperty("code").GetInt32(), Is.EqualTo(-32602));
    }
}
