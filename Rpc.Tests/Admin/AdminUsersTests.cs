using System.Text.Json;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Rpc.Contracts.Protocol;
using Rpc.Contracts.Users;
using Rpc.Server.Gateway;
using Rpc.Tests.Infrastructure;
using Rpc.Server.Events;

namespace Rpc.Tests.Admin;

/// <summary>admin.users.*: create, search, soft delete, flags; on a server whose bus a test sink observes.</summary>
public sealed class AdminUsersTests
{
    private readonly CapturingEventSink events = new();
    private RpcTestServer server = null!;
    private TestUser staff = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        server = await RpcTestServer.StartAsync(configureServices: s => s.AddSingleton<IEventSink>(events));
        staff = await server.NewStaffAsync();
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await server.DisposeAsync();

    private static string NewName() => "a" + Guid.NewGuid().ToString("N")[..12];

    private async Task<JsonElement> AuditOfAsync(string action, string targetId)
    {
        var entries = await server.ResultAsync("admin.audit.list", new { limit = 100 }, staff.Token);
        return entries.EnumerateArray().First(e => e.GetProperty("action").GetString() == action && e.GetProperty("target_id").GetString() == targetId);
    }

    private async Task<T> QueryDbAsync<T>(string sql, object parameters)
    {
        await using var connection = await server.OpenDatabaseAsync();
        return await connection.QuerySingleAsync<T>(sql, parameters);
    }

    [Test]
    public async Task Create_ReturnsUser_StoresEmail_CanLogIn_AndIsAudited()
    {
        var name = NewName();
        var user = await server.ResultAsync("admin.users.create", new { username = name, email = "Someone@Example.org", password = "password one" }, staff.Token);
        Assert.That(user.GetProperty("username").GetString(), Is.EqualTo(name));
        Assert.That(user.GetProperty("flags").GetArrayLength(), Is.Zero);
        var id = user.GetProperty("id").GetString()!;
        Assert.That(await QueryDbAsync<string>("SELECT email FROM users WHERE id = @id", new { id = long.Parse(id) }), Is.EqualTo("Someone@Example.org"));
        await server.ResultAsync("users.auth", new { username = name, password = "password one" });

        var audit = await AuditOfAsync("user.create", id);
        Assert.That(audit.GetProperty("actor_id").GetString(), Is.EqualTo(staff.Id));
        Assert.That(audit.GetProperty("target_type").GetString(), Is.EqualTo("user"));
        Assert.That(audit.GetProperty("before").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(audit.GetProperty("after").GetProperty("username").GetString(), Is.EqualTo(name));
    }

    [TestCase("no-at-sign")]
    [TestCase("@example.org")]
    [TestCase("someone@")]
    [TestCase("some one@example.org")]
    [TestCase("")]
    public async Task Create_BadEmail_IsRefused(string email)
    {
        var error = await server.ErrorAsync("admin.users.create", new { username = NewName(), email, password = "password one" }, staff.Token);
        Assert.That(error.GetProperty("data").GetString(), Is.EqualTo(ErrorData.EmailInvalid));
    }

    [Test]
    public async Task Create_TooLongEmail_IsRefused()
    {
        var error = await server.ErrorAsync("admin.users.create", new { username = NewName(), email = new string('a', 250) + "@x.org", password = "password one" }, staff.Token);
        Assert.That(error.GetProperty("data").GetString(), Is.EqualTo(ErrorData.EmailInvalid));
    }

    [TestCase("a", "password one", "username must be between 2 and 32 characters")]
    [TestCase("has space", "password one", "username may contain only letters, digits, '_', '.' and '-'")]
    [TestCase("okname", "short", "password must be between 8 and 128 characters")]
    [TestCase("okname", "          ", "password must not be only white space")]
    public async Task Create_BreaksAccountRules_GivesTheUsersCreateErrors(string username, string password, string data)
    {
        var error = await server.ErrorAsync("admin.users.create", new { username, email = "x@example.org", password }, staff.Token);
        Assert.That(error.GetProperty("data").GetString(), Is.EqualTo(data));
    }

    [Test]
    public async Task Create_TakenName_IsRefusedWithSeedError()
    {
        var taken = await server.NewUserAsync();
        var error = await server.ErrorAsync("admin.users.create", new { username = taken.Username, email = "x@example.org", password = "password one" }, staff.Token);
        Assert.That(error.GetProperty("data").GetString(), Is.EqualTo($"User with username {taken.Username} already exists"));
    }

    [Test]
    public async Task Search_BySubstring_IsCaseInsensitive_OrderedById_AndPages()
    {
        var middle = "sp" + Guid.NewGuid().ToString("N")[..8];
        var ids = new List<string>();
        foreach (var name in new[] { middle + "a", "x" + middle, middle + "B", "x" + middle + "y", middle + "d" })
        {
            var user = await server.ResultAsync("users.create", new { username = name, password = "password one" });
            ids.Add(user.GetProperty("id").GetString()!);
        }

        await server.ResultAsync("users.create", new { username = middle[..5] + "-" + middle[5..], password = "password one" });
        var first = await server.ResultAsync("admin.users.search", new { username = middle.ToUpperInvariant(), per_page = 3 }, staff.Token);
        var second = await server.ResultAsync("admin.users.search", new { username = middle, page = 1, per_page = 3 }, staff.Token);
        var found = first.EnumerateArray().Concat(second.EnumerateArray()).Select(u => u.GetProperty("id").GetString()).ToList();
        Assert.That(found, Is.EqualTo(ids));
        Assert.That(first.GetArrayLength(), Is.EqualTo(3));
    }

    [Test]
    public async Task Search_LikeWildcardsAndQuotes_AreMatchedLiterally()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var underscore = await server.ResultAsync("users.create", new { username = $"q{tag}_z", password = "password one" });
        await server.ResultAsync("users.create", new { username = $"q{tag}xz", password = "password one" });
        var found = await server.ResultAsync("admin.users.search", new { username = $"{tag}_z" }, staff.Token);
        Assert.That(found.EnumerateArray().Select(u => u.GetProperty("id").GetString()), Is.EqualTo(new[] { underscore.GetProperty("id").GetString() }));

        foreach (var odd in new[] { "\"a\"", "%%%", "a\\b", "\"OR\"", "a\\_" })
        {
            var none = await server.ResultAsync("admin.users.search", new { username = odd }, staff.Token);
            Assert.That(none.ValueKind, Is.EqualTo(JsonValueKind.Array), odd);
            Assert.That(await server.ResultAsync("admin.users.search", new { username = odd, discriminator = "0001" }, staff.Token), Has.Property("ValueKind").EqualTo(JsonValueKind.Array), odd);
        }
    }

    [Test]
    public async Task Search_FollowsRenamesAndDeletions()
    {
        var user = await server.NewUserAsync("ren");
        var renamed = "rn" + Guid.NewGuid().ToString("N")[..10];
        await server.ResultAsync("users.update", new { username = renamed }, user.Token);
        var byNew = await server.ResultAsync("admin.users.search", new { username = renamed[2..] }, staff.Token);
        Assert.That(byNew.EnumerateArray().Select(u => u.GetProperty("id").GetString()), Is.EqualTo(new[] { user.Id }));
        var byOld = await server.ResultAsync("admin.users.search", new { username = user.Username[1..] }, staff.Token);
        Assert.That(byOld.GetArrayLength(), Is.Zero);

        await server.ResultAsync("admin.users.delete", new { user_id = user.Id }, staff.Token);
        var afterDelete = await server.ResultAsync("admin.users.search", new { username = renamed[2..] }, staff.Token);
        Assert.That(afterDelete.GetArrayLength(), Is.Zero);
    }

    [Test]
    public async Task Search_ByDiscriminator_AndByBoth_FindsOnlyMatches()
    {
        var user = await server.NewUserAsync("disc");
        var self = await server.ResultAsync("users.self", token: user.Token);
        var discriminator = self.GetProperty("discriminator").GetString()!;
        var byDiscriminator = await server.ResultAsync("admin.users.search", new { discriminator, per_page = 50 }, staff.Token);
        Assert.That(byDiscriminator.EnumerateArray().All(u => u.GetProperty("discriminator").GetString() == discriminator), Is.True);
        Assert.That(byDiscriminator.EnumerateArray().Select(u => u.GetProperty("id").GetString()), Does.Contain(user.Id));

        var both = await server.ResultAsync("admin.users.search", new { username = user.Username[..6], discriminator }, staff.Token);
        Assert.That(both.EnumerateArray().Select(u => u.GetProperty("id").GetString()), Does.Contain(user.Id));
        var other = discriminator == "0001" ? "0002" : "0001";
        var none = await server.ResultAsync("admin.users.search", new { username = user.Username, discriminator = other }, staff.Token);
        Assert.That(none.GetArrayLength(), Is.Zero);
    }

    [Test]
    public async Task Search_ManyMatchesOfOneSubstring_StillOrderedById()
    {
        // More matches than a prefix's sorted plan takes: the trigram index's pages must be in id order too.
        var total = Rpc.Server.Data.UserAdministration.SortedMatchLimit + 50;
        var prefix = "bulk" + Guid.NewGuid().ToString("N")[..6];
        await using (var connection = await server.OpenDatabaseAsync())
        {
            // Ids grow while names shrink, so id order and name order disagree.
            var baseId = 9_000_000_000_000_000_000L + Random.Shared.NextInt64(1_000_000_000L) * 100_000;
            await connection.ExecuteAsync("""
                WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < @last)
                INSERT INTO users (id, username, username_key, username_claim, discriminator, display_name, flags, password_hash, created_at)
                SELECT @baseId + i, @prefix || CAST(1000000 + @total - i AS TEXT), @prefix || CAST(1000000 + @total - i AS TEXT), @prefix || CAST(1000000 + @total - i AS TEXT),
                       '0042', @prefix || CAST(1000000 + @total - i AS TEXT), 0, 'x', 0
                FROM n
                """, new { baseId, prefix, total, last = total - 1 });
        }

        var page = await server.ResultAsync("admin.users.search", new { username = prefix, page = 2, per_page = 50 }, staff.Token);
        var ids = page.EnumerateArray().Select(u => long.Parse(u.GetProperty("id").GetString()!)).ToList();
        Assert.That(ids, Has.Count.EqualTo(50));
        Assert.That(ids, Is.Ordered);
        Assert.That(page[0].GetProperty("username").GetString(), Is.EqualTo($"{prefix}{1_000_000 + total - 100}"));
    }

    [Test]
    public async Task Search_After_GoesOnFromTheLastIdOfAPage_OnEveryPlan()
    {
        var middle = "ks" + Guid.NewGuid().ToString("N")[..8];
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await server.ResultAsync("users.create", new { username = $"{middle}{i}", password = "password one" })).GetProperty("id").GetString()!);
        }

        // A substring (trigram index), a discriminator, and a short prefix (the walk or the sorted range) each go on after the id given.
        var discriminator = (await server.ResultAsync("admin.users.get", new { user_id = ids[0] }, staff.Token)).GetProperty("user").GetProperty("discriminator").GetString();
        var plans = new (object Filter, Action<List<string>> Check)[]
        {
            (new { username = middle }, seen => Assert.That(seen, Is.EqualTo(ids))),
            (new { username = middle, discriminator }, seen => Assert.That(seen, Does.Contain(ids[0]).And.SubsetOf(ids))),
            (new { username = middle[..2] }, seen => Assert.That(seen, Is.Not.Empty)),
            (new { discriminator }, seen => Assert.That(seen, Is.Not.Empty)),
        };
        foreach (var (filter, check) in plans)
        {
            var seen = new List<long>();
            var after = "0";
            for (var pages = 0; pages < 4; pages++)
            {
                var parameters = System.Text.Json.JsonSerializer.SerializeToNode(filter)!.AsObject();
                parameters["per_page"] = 2;
                parameters["after"] = after;
                var page = await server.ResultAsync("admin.users.search", parameters, staff.Token);
                var pageIds = page.EnumerateArray().Select(u => long.Parse(u.GetProperty("id").GetString()!)).ToList();
                Assert.That(pageIds, Is.Ordered.And.All.GreaterThan(long.Parse(after)), filter.ToString());
                seen.AddRange(pageIds);
                if (pageIds.Count < 2)
                {
                    break;
                }

                after = pageIds[^1].ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            Assert.That(seen, Is.Unique.And.Ordered, filter.ToString());
            check(seen.Select(id => id.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList());
        }
    }

    [Test]
    public async Task Search_DeepOffset_IsRefused_AfterIsTheWayOn()
    {
        var tooDeep = await server.ErrorAsync("admin.users.search", new { username = "us", page = 201, per_page = 50 }, staff.Token);
        Assert.That(tooDeep.GetProperty("data").GetString(), Is.EqualTo("page too deep: page x per_page may be at most 10000; go on with after, the last id of a page"));
        await server.ResultAsync("admin.users.search", new { username = "us", page = 200, per_page = 50 }, staff.Token);
        var negative = await server.ErrorAsync("admin.users.search", new { username = "us", after = -1 }, staff.Token);
        Assert.That(negative.GetProperty("data").GetString(), Is.EqualTo("after must not be negative"));
    }

    [TestCase(null, null, 0, 20, "give at least one filter: username or discriminator")]
    [TestCase("ab", null, 0, 0, "per_page must be between 1 and 50")]
    [TestCase("ab", null, 0, 51, "per_page must be between 1 and 50")]
    [TestCase("ab", null, -1, 20, "page must not be negative")]
    [TestCase(null, "12", 0, 20, "discriminator must be 4 digits, 0001 to 9999")]
    [TestCase(null, "abcd", 0, 20, "discriminator must be 4 digits, 0001 to 9999")]
    [TestCase(null, "0000", 0, 20, "discriminator must be 4 digits, 0001 to 9999")]
    [TestCase("", null, 0, 20, "username filter must be between 1 and 32 characters")]
    [TestCase("abcdefghijklmnopqrstuvwxyz0123456", null, 0, 20, "username filter must be between 1 and 32 characters")]
    public async Task Search_BadParams_AreRefusedClearly(string? username, string? discriminator, int page, int perPage, string data)
    {
        var error = await server.ErrorAsync("admin.users.search", new { username, discriminator, page, per_page = perPage }, staff.Token);
        Assert.That(error.GetProperty("code").GetInt32(), Is.EqualTo(-32603));
        Assert.That(error.GetProperty("data").GetString(), Is.EqualTo(data));
    }

    [Test]
    public async Task Delete_SoftDeletes_ReleasesName_EndsSessions_ClosesConnections_AndIsAudited()
    {
        var name = NewName();
        var created = await server.ResultAsync("admin.users.create", new { username = name, email = "gone@example.org", password = "password one" }, staff.Token);
        var id = created.GetProperty("id").GetString()!;
        await server.ResultAsync("admin.users.update", new { user_id = id, flags = new[] { 1 } }, staff.Token);
        var token = (await server.ResultAsync("users.auth", new { username = name, password = "password one" })).GetProperty("token").GetString()!;
        await using var ws = await WsClient.ConnectAsync(server.WebSocketUri);
        await ws.CallAsync($$"""{"jsonrpc":"2.0","method":"users.identify","params":["{{token}}"],"id":1}""");

        var result = await server.ResultAsync("admin.users.delete", new { user_id = id }, staff.Token);
        Assert.That(result.GetProperty("old").GetProperty("username").GetString(), Is.EqualTo(name));
        Assert.That(result.GetProperty("old").GetProperty("flags").EnumerateArray().Select(f => f.GetInt32()), Is.EqualTo(new[] { 1 }));
        var deleted = result.GetProperty("new");
        Assert.That(deleted.GetProperty("id").GetString(), Is.EqualTo(id));
        Assert.That(deleted.GetProperty("username").GetString(), Does.Match("^Deleted User [0-9a-f]{8}$"));
        Assert.That(deleted.GetProperty("flags").GetArrayLength(), Is.Zero);
        Assert.That(deleted.GetProperty("avatar").ValueKind, Is.EqualTo(JsonValueKind.Null));

        Assert.That(await QueryDbAsync<string?>("SELECT email FROM users WHERE id = @id", new { id = long.Parse(id) }), Is.Null);
        Assert.That(await QueryDbAsync<long>("SELECT COUNT(*) FROM sessions WHERE user_id = @id AND revoked_at IS NULL", new { id = long.Parse(id) }), Is.Zero);

        // No login works, the old token is dead on both transports, and the name is free again.
        var login = await server.ErrorAsync("users.auth", new { username = name, password = "password one" });
        Assert.That(login.GetProperty("data").GetString(), Is.EqualTo(ErrorData.InvalidPassword));
        var dead = await server.ErrorAsync("users.self", token: token);
        Assert.That(dead.GetProperty("data").GetString(), Is.EqualTo(ErrorData.InvalidToken));
        while (await ws.ReceiveAsync() is { } message)
        {
            Assert.That(message, Does.Contain("gateway.event"), "only events may come before the close");
        }

        Assert.That((int?)ws.Socket.CloseStatus, Is.EqualTo(4005), "the gateway closes the deleted account's connections");
        await server.ResultAsync("users.create", new { username = name, password = "password two" });

        var userId = long.Parse(id);
        Assert.That(events.Messages.OfType<CloseConnections>().Any(c => c.UserId == userId && c.SessionId is null && c.CloseCode == 4005 && c.Reason == "account deleted"), Is.True);
        var update = events.Messages.OfType<DispatchEvent>().Last(e => e.Name == "USER_UPDATE" && e.Audience is EventAudience.UserAndObservers { UserId: var u } && u == userId);
        Assert.That(((User)update.Payload).Username, Is.EqualTo(deleted.GetProperty("username").GetString()));

        var audit = await AuditOfAsync("user.delete", id);
        Assert.That(audit.GetProperty("before").GetProperty("username").GetString(), Is.EqualTo(name));
        Assert.That(audit.GetProperty("after").GetProperty("username").GetString(), Does.StartWith("Deleted User "));
    }

    [Test]
    public async Task Delete_Twice_UnknownUser_Self_Staff_AreRefusedClearly()
    {
        var victim = await server.NewUserAsync();
        await server.ResultAsync("admin.users.delete", new { user_id = victim.Id }, staff.Token);
        var again = await server.ErrorAsync("admin.users.delete", new { user_id = victim.Id }, staff.Token);
        Assert.That(again.GetProperty("data").GetString(), Is.EqualTo($"user {victim.Id} is deleted"));

        var unknown = await server.ErrorAsync("admin.users.delete", new { user_id = "123" }, staff.Token);
        Assert.That(unknown.GetProperty("data").GetString(), Is.EqualTo("user 123 does not exist"));

        var self = await server.ErrorAsync("admin.users.delete", new { user_id = staff.Id }, staff.Token);
        Assert.That(self.GetProperty("data").GetString(), Is.EqualTo(ErrorData.CannotDeleteSelf));

        var otherStaff = await server.NewStaffAsync();
        var staffVictim = await server.ErrorAsync("admin.users.delete", new { user_id = otherStaff.Id }, staff.Token);
        Assert.That(staffVictim.GetProperty("data").GetString(), Is.EqualTo(ErrorData.CannotDeleteStaff));
        await server.ResultAsync("users.self", token: otherStaff.Token);
    }

    [Test]
    public async Task Update_SetsFlags_PublishesUserUpdate_AndIsAudited()
    {
        var user = await server.NewUserAsync();
        var updated = await server.ResultAsync("admin.users.update", new { user_id = user.Id, flags = new[] { 1, 10 } }, staff.Token);
        Assert.That(updated.GetProperty("flags").EnumerateArray().Select(f => f.GetInt32()), Is.EqualTo(new[] { 1, 10 }));
        var self = await server.ResultAsync("users.self", token: user.Token);
        Assert.That(self.GetProperty("flags").EnumerateArray().Select(f => f.GetInt32()), Is.EqualTo(new[] { 1, 10 }));

        var userId = long.Parse(user.Id);
        var published = events.Messages.OfType<DispatchEvent>().Last(e => e.Name == "USER_UPDATE" && e.Audience is EventAudience.UserAndObservers { UserId: var u } && u == userId);
        Assert.That(((User)published.Payload).Flags, Is.EqualTo(new[] { UserFlag.Developer, UserFlag.Bot }));

        var audit = await AuditOfAsync("user.update", user.Id);
        Assert.That(audit.GetProperty("before").GetProperty("flags").GetArrayLength(), Is.Zero);
        Assert.That(audit.GetProperty("after").GetProperty("flags").GetArrayLength(), Is.EqualTo(2));

    }

    [Test]
    public async Task Update_AddingOrRemovingStaff_IsRefused_AndChangesNothing()
    {
        var user = await server.NewUserAsync();
        var grant = await server.ErrorAsync("admin.users.update", new { user_id = user.Id, flags = new[] { 0, 1 } }, staff.Token);
        Assert.That(grant.GetProperty("data").GetString(), Is.EqualTo(ErrorData.StaffFlagUnchangeable));
        var self = await server.ResultAsync("users.self", token: user.Token);
        Assert.That(self.GetProperty("flags").GetArrayLength(), Is.Zero);

        var otherStaff = await server.NewStaffAsync();
        var removal = await server.ErrorAsync("admin.users.update", new { user_id = otherStaff.Id, flags = new[] { 1 } }, staff.Token);
        Assert.That(removal.GetProperty("data").GetString(), Is.EqualTo(ErrorData.StaffFlagUnchangeable));
        await server.ResultAsync("admin.invites.list", new { }, otherStaff.Token);

        var kept = await server.ResultAsync("admin.users.update", new { user_id = otherStaff.Id, flags = new[] { 0, 1 } }, staff.Token);
        Assert.That(kept.GetProperty("flags").EnumerateArray().Select(f => f.GetInt32()), Is.EqualTo(new[] { 0, 1 }));
    }

    [Test]
    public async Task Update_SameFlags_ChangesNothing_PublishesAndRecordsNothing()
    {
        var user = await server.NewUserAsync();
        await server.ResultAsync("admin.users.update", new { user_id = user.Id, flags = new[] { 11 } }, staff.Token);
        var userId = long.Parse(user.Id);
        int Updates() => events.Messages.OfType<DispatchEvent>().Count(e => e.Name == "USER_UPDATE" && e.Audience is EventAudience.UserAndObservers { UserId: var u } && u == userId);
        Assert.That(Updates(), Is.EqualTo(1));

        var same = await server.ResultAsync("admin.users.update", new { user_id = user.Id, flags = new[] { 11, 11 } }, staff.Token);
        Assert.That(same.GetProperty("flags").EnumerateArray().Select(f => f.GetInt32()), Is.EqualTo(new[] { 11 }));
        Assert.That(Updates(), Is.EqualTo(1));
        var entries = await server.ResultAsync("admin.audit.list", new { limit = 100 }, staff.Token);
        Assert.That(entries.EnumerateArray().Count(e => e.GetProperty("action").GetString() == "user.update" && e.GetProperty("target_id").GetString() == user.Id), Is.EqualTo(1));
    }

    [Test]
    public async Task Update_UnknownFlag_UnknownUser_DeletedUser_WrongType_AreRefusedClearly()
    {
        var user = await server.NewUserAsync();
        var unknownFlag = await server.ErrorAsync("admin.users.update", new { user_id = user.Id, flags = new[] { 1, 5 } }, staff.Token);
        Assert.That(unknownFlag.GetProperty("data").GetString(), Is.EqualTo("unknown user flag 5; known flags: 0 (Staff), 1 (Developer), 10 (Bot), 11 (System)"));

        var unknownUser = await server.ErrorAsync("admin.users.update", new { user_id = "77", flags = new[] { 1 } }, staff.Token);
        Assert.That(unknownUser.GetProperty("data").GetString(), Is.EqualTo("user 77 does not exist"));

        var wrongType = await server.ErrorAsync("admin.users.update", new { user_id = user.Id, flags = new[] { "Staff" } }, staff.Token);
        Assert.That(wrongType.GetProperty("code").GetInt32(), Is.EqualTo(-32602));

        await server.ResultAsync("admin.users.delete", new { user_id = user.Id }, staff.Token);
        var deleted = await server.ErrorAsync("admin.users.update", new { user_id = user.Id, flags = new[] { 1 } }, staff.Token);
        Assert.That(deleted.GetProperty("data").GetString(), Is.EqualTo($"user {user.Id} is deleted"));
    }
}
