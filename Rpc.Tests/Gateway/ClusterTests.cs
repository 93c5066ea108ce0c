using System.Collections.Concurrent;
using System.Text.Json;
using Dapper;
using Npgsql;
using Rpc.Client;
using GatewayClient = Rpc.Tests.Infrastructure.GatewayClient;
using Rpc.Contracts.Gateway;
using Rpc.Contracts.Protocol;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Gateway;

/// <summary>
/// Three real server processes on one PostgreSQL database (the PostgreSQL run of the suite only), behaving as one
/// server: presence held on any of them, no event lost when a server's LISTEN connection drops, a resume on the
/// wrong server refused so the client identifies, <c>manage</c> reaching all of them, a server stalled past its lease
/// claiming its users again, and a server killed under load.
/// A short lease (6 s: a server stalled that long by a loaded machine would drop out) and grace period (1 s) keep the waits short; every wait is a wait-until with a generous limit.
/// </summary>
[NonParallelizable]
public sealed class ClusterTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);
    private readonly string database = "rpc_cluster" + Guid.NewGuid().ToString("N")[..12];
    private string connectionString = null!;
    private Member a = null!;
    private Member b = null!;
    private Member c = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        if (RpcTestServer.Postgres is null)
        {
            Assert.Ignore("several servers share a database on PostgreSQL only; run.sh runs these in its PostgreSQL run");
        }

        connectionString = await PostgresDatabase.EnsureAsync(RpcTestServer.Postgres, database);
        // The first applies the migrations alone; the other two start together.
        a = await Member.StartAsync("rpc-a", connectionString);
        var others = await Task.WhenAll(Member.StartAsync("rpc-b", connectionString), Member.StartAsync("rpc-c", connectionString));
        (b, c) = (others[0], others[1]);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        foreach (var member in new[] { a, b, c })
        {
            if (member is not null)
            {
                await member.DisposeAsync();
            }
        }

        if (RpcTestServer.Postgres is not null)
        {
            await PostgresDatabase.DropAsync(RpcTestServer.Postgres, database);
        }
    }

    [Test]
    [Order(1)]
    public async Task Presence_UserOnTwoServers_ClosingOneKeepsItOnlineOnTheThird()
    {
        var (alice, bob) = (await a.NewUserAsync(), await a.NewUserAsync());
        await a.ShareGuildAsync(alice, bob);
        await using var bobOnC = await GatewayClient.IdentifyAsync(c.WebSocketUri, bob.Token);
        var aliceOnA = await GatewayClient.IdentifyAsync(a.WebSocketUri, alice.Token);
        var aliceOnB = await GatewayClient.IdentifyAsync(b.WebSocketUri, alice.Token);
        Assert.That(await NextPresenceAsync(bobOnC, alice.Id), Is.EqualTo("ONLINE"));
        await WaitForRowsAsync(alice.Id, 2);

        // B's connection ends; after B's grace period (1 s) B no longer holds alice, A still does. A second observer
        // on C watches for an update that must not come (a receive that times out aborts its socket).
        await using var watchOnC = await GatewayClient.IdentifyAsync(c.WebSocketUri, bob.Token);
        await aliceOnB.DisposeAsync();
        await WaitForRowsAsync(alice.Id, 1);
        Assert.That(await HasPresenceAsync(watchOnC, alice.Id, TimeSpan.FromSeconds(2)), Is.False, "alice stayed ONLINE for observers on C");
        Assert.That(await c.PresenceAsync(alice.Id, bob.Token), Is.EqualTo("ONLINE"), "users.get on C");
        Assert.That(await b.PresenceAsync(alice.Id, bob.Token), Is.EqualTo("ONLINE"), "users.get on B, which no longer holds her");

        // Her last connection, on A: OFFLINE everywhere.
        await aliceOnA.DisposeAsync();
        Assert.That(await NextPresenceAsync(bobOnC, alice.Id), Is.EqualTo("OFFLINE"));
        await Eventually.WaitUntilAsync(async () => await b.PresenceAsync(alice.Id, bob.Token) == "OFFLINE", Long, "users.get on B shows OFFLINE");

        // A status chosen on one server shows on the others.
        await using var aliceAgain = await GatewayClient.IdentifyAsync(a.WebSocketUri, alice.Token);
        Assert.That(await NextPresenceAsync(bobOnC, alice.Id), Is.EqualTo("ONLINE"));
        await b.ResultAsync("users.presence", new { status = "DND" }, alice.Token);
        Assert.That(await NextPresenceAsync(bobOnC, alice.Id), Is.EqualTo("DND"));
        Assert.That(await c.PresenceAsync(alice.Id, bob.Token), Is.EqualTo("DND"));
    }

    [Test]
    [Order(2)]
    public async Task ListeningConnectionDown_EventsSentMeanwhile_ArriveOnceAndInOrder()
    {
        var (owner, member) = (await b.NewUserAsync(), await b.NewUserAsync());
        var guildId = await b.ShareGuildAsync(owner, member);
        await using var onA = await GatewayClient.IdentifyAsync(a.WebSocketUri, member.Token);

        // A's LISTEN connection is terminated again and again for 5 s while B renames the guild 40 times.
        using var outage = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var killing = Task.Run(async () =>
        {
            var killed = 0;
            while (!outage.IsCancellationRequested)
            {
                killed += await TerminateListenerAsync("rpc-a");
                await Task.Delay(100);
            }

            return killed;
        });
        const int Renames = 40;
        for (var i = 1; i <= Renames; i++)
        {
            await b.ResultAsync("guilds.update", new { guild_id = guildId, name = $"rename {i}" }, owner.Token);
            await Task.Delay(100);
        }

        Assert.That(await killing, Is.GreaterThan(0), "A's listening connection was terminated");
        var names = new List<string>();
        while (names.Count < Renames)
        {
            var update = await onA.NextEventAsync("GUILD_UPDATE", Long);
            names.Add(update.GetProperty("d").GetProperty("name").GetString()!);
        }

        Assert.That(names, Is.EqualTo(Enumerable.Range(1, Renames).Select(i => $"rename {i}")), "every rename, once, in order");
        Assert.That(await onA.HasEventAsync("GUILD_UPDATE", TimeSpan.FromSeconds(2)), Is.False, "nothing delivered twice");
    }

    [Test]
    [Order(3)]
    public async Task Resume_OnAnotherServer_IsRefusedWith4010_AndTheClientIdentifiesThere()
    {
        var user = await a.NewUserAsync();
        var onA = await GatewayClient.IdentifyAsync(a.WebSocketUri, user.Token);
        var sessionId = onA.SessionId;
        // Any code but 1000/1001 keeps the session resumable.
        await onA.Ws.Socket.CloseOutputAsync((System.Net.WebSockets.WebSocketCloseStatus)4000, "moving", CancellationToken.None);
        await onA.DisposeAsync();

        await using var onB = await GatewayClient.ConnectAsync(b.WebSocketUri);
        var refused = await onB.CallAsync("gateway.resume", new { session_id = sessionId, seq = 1 }, auth: user.Token);
        Assert.That(refused.GetProperty("error").GetProperty("data").GetString(), Is.EqualTo(ErrorData.ResumeOtherServer));
        Assert.That(await onB.WaitForCloseAsync(Long), Is.EqualTo(GatewayCloseCodes.SessionNotHere));

        await using var identified = await GatewayClient.IdentifyAsync(b.WebSocketUri, user.Token);
        Assert.That(identified.SessionId, Is.Not.EqualTo(sessionId));
    }

    [Test]
    [Order(4)]
    public async Task ManageMakeStaff_OnARunningCluster_ReachesConnectionsOnEveryServer()
    {
        var user = await c.NewUserAsync();
        await using var onA = await GatewayClient.IdentifyAsync(a.WebSocketUri, user.Token);
        await using var onC = await GatewayClient.IdentifyAsync(c.WebSocketUri, user.Token);

        var made = await ManageProcess.RunAsync(["--Database:Provider", "postgres", "--Database:ConnectionString", connectionString], "make-staff", user.Username);
        Assert.That(made.Exit, Is.Zero, made.Err);
        foreach (var gateway in new[] { onA, onC })
        {
            var update = (await gateway.NextEventAsync("USER_UPDATE", Long)).GetProperty("d");
            Assert.That(update.GetProperty("flags").EnumerateArray().Select(f => f.GetInt32()), Does.Contain(0), "the Staff flag");
        }
    }

    [Test]
    [Order(5)]
    public async Task ServerStalledPastItsLease_OthersDropItsUsers_ItClaimsThemAgainWhenItWakes()
    {
        var (alice, bob) = (await c.NewUserAsync(), await c.NewUserAsync());
        await c.ShareGuildAsync(alice, bob);
        await using var bobOnC = await GatewayClient.IdentifyAsync(c.WebSocketUri, bob.Token);
        await using var aliceOnA = await GatewayClient.IdentifyAsync(a.WebSocketUri, alice.Token);
        Assert.That(await NextPresenceAsync(bobOnC, alice.Id), Is.EqualTo("ONLINE"));
        await WaitForRowsAsync(alice.Id, 1);

        // A stalls (SIGSTOP) past its lease, as a server stopped by the machine or cut off from the database would:
        // the others drop it, and alice, whose socket to A stays open, goes OFFLINE. (Not waiting for her row to go:
        // a server stopped inside its lease transaction would hold that row's lock until it wakes.)
        a.Pause();
        try
        {
            Assert.That(await NextPresenceAsync(bobOnC, alice.Id), Is.EqualTo("OFFLINE"), "A's lease lapsed");
        }
        finally
        {
            a.Continue();
        }

        // A wakes, finds its lease lapsed and claims its users again: ONLINE on the others, its row written again.
        Assert.That(await NextPresenceAsync(bobOnC, alice.Id), Is.EqualTo("ONLINE"), "A claimed alice again");
        await WaitForRowsAsync(alice.Id, 1);
        await Eventually.WaitUntilAsync(async () => await b.PresenceAsync(alice.Id, bob.Token) == "ONLINE", Long, "users.get on B shows ONLINE again");
        var self = await aliceOnA.CallAsync("users.self");
        Assert.That(self.GetProperty("result").GetProperty("username").GetString(), Is.EqualTo(alice.Username), "her connection to A lived through the stall");
    }

    [Test]
    [Order(6)]
    public async Task ServerKilled_ItsClientsIdentifyElsewhere_OthersSeeNoGap_ItsUsersGoOffline()
    {
        var owner = await c.NewUserAsync();
        var guildId = await c.CreateGuildAsync(owner);
        var watcherB = await c.JoinNewUserAsync(owner, guildId);
        var watcherC = await c.JoinNewUserAsync(owner, guildId);
        var stranded = await c.JoinNewUserAsync(owner, guildId);
        var movers = new List<TestUser>();
        for (var i = 0; i < 4; i++)
        {
            movers.Add(await c.JoinNewUserAsync(owner, guildId));
        }

        // The movers reach A through a proxy, their load balancer; the stranded user has no client that reconnects.
        await using var balancer = new TcpProxy(a.BaseUri.Port);
        await using var onB = await GatewayClient.IdentifyAsync(b.WebSocketUri, watcherB.Token);
        await using var onC = await GatewayClient.IdentifyAsync(c.WebSocketUri, watcherC.Token);
        await using var strandedOnA = await GatewayClient.IdentifyAsync(a.WebSocketUri, stranded.Token);
        using var stop = new CancellationTokenSource();
        var clients = movers.Select(m => new MovingClient(balancer.WebSocketUri, m.Token)).ToList();
        var running = clients.Select(client => client.RunAsync(stop.Token)).ToList();
        await Eventually.WaitUntilAsync(() => clients.All(client => client.Readies == 1), Long, "every mover identified on A");
        await Eventually.WaitUntilAsync(async () => await c.PresenceAsync(stranded.Id, watcherC.Token) == "ONLINE", Long, "the stranded user is ONLINE");

        // Load: guild renames on C, every one to every member, before, during and after the kill.
        var renames = 0;
        var load = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await c.ResultAsync("guilds.update", new { guild_id = guildId, name = $"load {++renames}" }, owner.Token);
                await Task.Delay(50);
            }
        });
        await Eventually.WaitUntilAsync(() => Volatile.Read(ref renames) >= 10, Long, "the load runs");
        balancer.TargetPort = b.BaseUri.Port;
        await a.KillAsync();

        await Eventually.WaitUntilAsync(() => clients.All(client => client.Readies == 2), TimeSpan.FromSeconds(60), "every mover identified again, on B");
        Assert.That(clients.All(client => client.Refusals >= 1), Is.True, "each tried to resume first and was told to identify");
        await Eventually.WaitUntilAsync(async () => await c.PresenceAsync(stranded.Id, watcherC.Token) == "OFFLINE", Long, "A's lease lapsed: its user is OFFLINE");
        Assert.That(await c.PresenceAsync(movers[0].Id, watcherC.Token), Is.EqualTo("ONLINE"), "a mover, now on B");
        var renamesAfterKill = Volatile.Read(ref renames);
        await Eventually.WaitUntilAsync(() => Volatile.Read(ref renames) >= renamesAfterKill + 10, Long, "the load goes on");
        await stop.CancelAsync();
        await load;
        await Task.WhenAll(running);

        foreach (var watcher in new[] { onB, onC })
        {
            var sequence = new List<long>();
            while (await watcher.HasEventAsync(TimeSpan.FromSeconds(3)))
            {
                sequence.Add((await watcher.NextEventAsync()).GetProperty("s").GetInt64());
            }

            Assert.That(sequence.Count, Is.GreaterThan(20));
            Assert.That(sequence, Is.EqualTo(Enumerable.Range((int)sequence[0], sequence.Count).Select(s => (long)s)), "no gap in the watcher's sequence numbers");
        }
    }

    private async Task<int> TerminateListenerAsync(string applicationName)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        return await connection.ExecuteScalarAsync<int>(
            "SELECT COUNT(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = @applicationName AND query LIKE 'LISTEN%') k",
            new { applicationName });
    }

    /// <summary>Waits until <paramref name="count"/> servers have written that they hold the user (they write at each lease renewal).</summary>
    private async Task WaitForRowsAsync(string userId, int count)
    {
        await Eventually.WaitUntilAsync(
            async () =>
            {
                await using var connection = new NpgsqlConnection(connectionString);
                return await connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM presence_connections WHERE user_id = @id", new { id = long.Parse(userId) }) == count;
            },
            Long,
            $"{count} server(s) hold the user");
    }

    private static async Task<string> NextPresenceAsync(GatewayClient gateway, string userId)
    {
        while (true)
        {
            var d = (await gateway.NextEventAsync("PRESENCE_UPDATE", Long)).GetProperty("d");
            if (d.GetProperty("user_id").GetString() == userId)
            {
                return d.GetProperty("status").GetString()!;
            }
        }
    }

    private static async Task<bool> HasPresenceAsync(GatewayClient gateway, string userId, TimeSpan wait)
    {
        var deadline = DateTime.UtcNow + wait;
        while (DateTime.UtcNow < deadline && await gateway.HasEventAsync(deadline - DateTime.UtcNow))
        {
            var e = await gateway.NextEventAsync();
            if (e.GetProperty("t").GetString() == "PRESENCE_UPDATE" && e.GetProperty("d").GetProperty("user_id").GetString() == userId)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>An Rpc.Client gateway client, counting its READYs and refused resumes.</summary>
    private sealed class MovingClient(Uri uri, string token)
    {
        private readonly Rpc.Client.GatewayClient client = new(new GatewayClientOptions
        {
            WebSocketUri = uri,
            Token = token,
            BackoffBase = TimeSpan.FromMilliseconds(100),
            BackoffMax = TimeSpan.FromSeconds(1),
        });

        private int readies;
        private int refusals;

        public int Readies => Volatile.Read(ref readies);

        public int Refusals => Volatile.Read(ref refusals);

        public Task<GatewayStop> RunAsync(CancellationToken cancellationToken)
        {
            client.StateChanged += change =>
            {
                if (change.Transition == GatewayTransition.Identified)
                {
                    Interlocked.Increment(ref readies);
                }
                else if (change.Transition == GatewayTransition.ResumeRefused)
                {
                    Interlocked.Increment(ref refusals);
                }
            };
            return client.RunAsync(cancellationToken);
        }
    }

    /// <summary>One server process of the cluster, with the calls the tests make on it.</summary>
    private sealed class Member : IAsyncDisposable
    {
        private readonly ServerProcess process;

        private Member(ServerProcess process) => this.process = process;

        public Uri BaseUri => process.BaseUri;

        public Uri WebSocketUri => new($"ws://{process.BaseUri.Authority}/rpc");

        public static async Task<Member> StartAsync(string name, string connectionString)
        {
            var environment = new Dictionary<string, string>
            {
                ["Database__Provider"] = "postgres",
                ["Database__ConnectionString"] = new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = name }.ConnectionString,
                ["Cluster__LeaseSeconds"] = "6",
                ["Gateway__PresenceGracePeriod"] = "00:00:01",
                ["Gateway__PresenceCoalesceWindow"] = "00:00:00",
                ["Logging__LogLevel__Default"] = "Warning",
            };
            foreach (var (key, value) in RpcTestServer.FastHashing.Concat(RpcTestServer.GenerousRateLimits))
            {
                environment[key.Replace(":", "__", StringComparison.Ordinal)] = value!;
            }

            var directory = Directory.CreateTempSubdirectory("rpc-cluster").FullName;
            return new Member(await ServerProcess.StartAsync(Path.Combine(directory, "rpc.db"), environment));
        }

        public Task KillAsync() => process.KillAsync();

        /// <summary>Stops the process (SIGSTOP) where it stands, as a machine that stops scheduling it would.</summary>
        public void Pause() => process.Signal("STOP");

        /// <summary>Lets a paused process run on (SIGCONT).</summary>
        public void Continue() => process.Signal("CONT");

        public async Task<JsonElement> ResultAsync(string method, object? parameters = null, string? token = null)
        {
            var envelope = new Dictionary<string, object?> { ["jsonrpc"] = "2.0", ["method"] = method, ["id"] = 1, ["params"] = parameters ?? new { } };
            if (token is not null)
            {
                envelope["auth"] = token;
            }

            using var response = await process.Http.PostAsync("/rpc", new StringContent(JsonSerializer.Serialize(envelope), System.Text.Encoding.UTF8, "application/json"));
            var reply = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
            Assert.That(reply.TryGetProperty("result", out var result), Is.True, $"{method} failed: {reply}");
            return result;
        }

        public async Task<TestUser> NewUserAsync()
        {
            var username = "cl" + Guid.NewGuid().ToString("N")[..12];
            const string password = "correct horse battery";
            var user = await ResultAsync("users.create", new { username, password });
            var auth = await ResultAsync("users.auth", new { username, password });
            return new TestUser(user.GetProperty("id").GetString()!, username, password, auth.GetProperty("token").GetString()!);
        }

        public async Task<string> CreateGuildAsync(TestUser owner) =>
            (await ResultAsync("guilds.create", new { name = "Cluster" }, owner.Token)).GetProperty("id").GetString()!;

        /// <summary>A new user that joins <paramref name="guildId"/> through an invite of <paramref name="owner"/>.</summary>
        public async Task<TestUser> JoinNewUserAsync(TestUser owner, string guildId)
        {
            var user = await NewUserAsync();
            var invite = await ResultAsync("guilds.invites.create", new { guild_id = guildId }, owner.Token);
            await ResultAsync("guilds.join", new { code = invite.GetProperty("code").GetString() }, user.Token);
            return user;
        }

        /// <summary>Puts <paramref name="member"/> in a new guild of <paramref name="owner"/>; returns its id.</summary>
        public async Task<string> ShareGuildAsync(TestUser owner, TestUser member)
        {
            var guildId = await CreateGuildAsync(owner);
            var invite = await ResultAsync("guilds.invites.create", new { guild_id = guildId }, owner.Token);
            await ResultAsync("guilds.join", new { code = invite.GetProperty("code").GetString() }, member.Token);
            return guildId;
        }

        /// <summary>The status <paramref name="viewerToken"/>'s user sees of the user, by users.get.</summary>
        public async Task<string?> PresenceAsync(string userId, string viewerToken) =>
            (await ResultAsync("users.get", new { user_id = userId }, viewerToken)).GetProperty("presence").GetString();

        public ValueTask DisposeAsync() => process.DisposeAsync();
    }
}
