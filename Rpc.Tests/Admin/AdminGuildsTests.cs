using System.Text.Json;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Admin;

/// <summary>admin.guilds.*, guild features, guild voice regions and the guild side of admin.users.delete; events seen by real gateway clients.</summary>
public sealed class AdminGuildsTests
{
    private RpcTestServer server = null!;
    private TestUser staff = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        server = await RpcTestServer.StartAsync();
        staff = await server.NewStaffAsync();
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await server.DisposeAsync();

    private static string NewRegion() => "r-" + Guid.NewGuid().ToString("N")[..10];

    private async Task<string> NewGuildAsync(TestUser owner, string? region = null)
    {
        object parameters = region is null ? new { name = "Guild " + Guid.NewGuid().ToString("N")[..6] } : new { name = "Guild " + Guid.NewGuid().ToString("N")[..6], region };
        var guild = await server.ResultAsync("guilds.create", parameters, owner.Token);
        return guild.GetProperty("id").GetString()!;
    }

    private async Task JoinAsync(string guildId, TestUser owner, TestUser joiner)
    {
        var invite = await server.ResultAsync("guilds.invites.create", new { guild_id = guildId }, owner.Token);
        await server.ResultAsync("guilds.join", new { code = invite.GetProperty("code").GetString() }, joiner.Token);
    }

    private async Task<string> NewRegionAsync(bool vip = false)
    {
        var id = NewRegion();
        await server.ResultAsync("admin.voice.regions.create", new { id, name = "Region", vip }, staff.Token);
        return id;
    }

    private async Task<JsonElement?> AuditOfAsync(string action, string targetId)
    {
        var entries = await server.ResultAsync("admin.audit.list", new { limit = 100 }, staff.Token);
        foreach (var e in entries.EnumerateArray())
        {
            if (e.GetProperty("action").GetString() == action && e.GetProperty("target_id").GetString() == targetId)
            {
                return e;
            }
        }

        return null;
    }

    private static string[] Features(JsonElement element) =>
        element.GetProperty("features").EnumerateArray().Select(f => f.GetString()!).ToArray();

    private async Task<string> DataAsync(string method, object parameters, string token) =>
        (await server.ErrorAsync(method, parameters, token)).GetProperty("data").GetString()!;

    [Test]
    public async Task AdminGet_AnyGuild_StaffNotMember_ReturnsGuild_UnknownIsClearError()
    {
        var owner = await server.NewUserAsync();
        var guildId = await NewGuildAsync(owner);
        var guild = await server.ResultAsync("admin.guilds.get", new { guild_id = guildId }, staff.Token);
        Assert.That(guild.GetProperty("id").GetString(), Is.EqualTo(guildId));
        Assert.That(guild.GetProperty("owner_id").GetString(), Is.EqualTo(owner.Id));
        Assert.That(guild.GetProperty("member_count").GetInt32(), Is.EqualTo(1));
        Assert.That(guild.GetProperty("voice_available").GetBoolean(), Is.True);
        Assert.That(guild.GetProperty("emoji_limit").GetInt32(), Is.EqualTo(50));
        Assert.That(guild.GetProperty("region").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(await DataAsync("admin.guilds.get", new { guild_id = "12345" }, staff.Token), Is.EqualTo("guild 12345 does not exist"));
        Assert.That(await DataAsync("admin.guilds.update", new { guild_id = "12345", unavailable = true }, staff.Token), Is.EqualTo("guild 12345 does not exist"));
        Assert.That(await DataAsync("admin.guilds.features.add", new { guild_id = "12345", features = new[] { "VERIFIED" } }, staff.Token), Is.EqualTo("guild 12345 does not exist"));
    }

    [Test]
    public async Task AdminUpdate_Unavailable_StoresIt_SendsGuildUpdateToMembers_AndIsAudited_UnchangedRecordsNothing()
    {
        var owner = await server.NewUserAsync();
        var member = await server.NewUserAsync();
        var outsider = await server.NewUserAsync();
        var guildId = await NewGuildAsync(owner);
        await JoinAsync(guildId, owner, member);
        await using var memberGateway = await GatewayClient.IdentifyAsync(server, member.Token);
        await using var outsiderGateway = await GatewayClient.IdentifyAsync(server, outsider.Token);

        var guild = await server.ResultAsync("admin.guilds.update", new { guild_id = guildId, unavailable = true }, staff.Token);
        Assert.That(guild.GetProperty("unavailable").GetBoolean(), Is.True);
        var e = await memberGateway.NextEventAsync("GUILD_UPDATE");
        Assert.That(e.GetProperty("d").GetProperty("id").GetString(), Is.EqualTo(guildId));
        Assert.That(e.GetProperty("d").GetProperty("unavailable").GetBoolean(), Is.True);
        Assert.That(await outsiderGateway.HasEventAsync("GUILD_UPDATE", TimeSpan.FromMilliseconds(200)), Is.False);
        var seen = await server.ResultAsync("guilds.get", new { guild_id = guildId }, member.Token);
        Assert.That(seen.GetProperty("unavailable").GetBoolean(), Is.True);

        var audit = await AuditOfAsync("guild.update", guildId);
        Assert.That(audit, Is.Not.Null);
        Assert.That(audit!.Value.GetProperty("actor_id").GetString(), Is.EqualTo(staff.Id));
        Assert.That(audit.Value.GetProperty("before").GetProperty("unavailable").GetBoolean(), Is.False);
        Assert.That(audit.Value.GetProperty("after").GetProperty("unavailable").GetBoolean(), Is.True);

        await server.ResultAsync("admin.guilds.update", new { guild_id = guildId, unavailable = true }, staff.Token);
        Assert.That(await memberGateway.HasEventAsync("GUILD_UPDATE", TimeSpan.FromMilliseconds(200)), Is.False);
        var records = (await server.ResultAsync("admin.audit.list", new { limit = 100 }, staff.Token)).EnumerateArray()
            .Count(r => r.GetProperty("action").GetString() == "guild.update" && r.GetProperty("target_id").GetString() == guildId);
        Assert.That(records, Is.EqualTo(1), "an unchanged update records nothing");
    }

    [Test]
    public async Task Features_ReplaceAddRemove_CollapseDuplicates_Ordered_EverywhereInGuildObject()
    {
        var owner = await server.NewUserAsync();
        var guildId = await NewGuildAsync(owner);
        var replaced = await server.ResultAsync("admin.guilds.features.replace", new { guild_id = guildId, features = new[] { "VERIFIED", "MORE_EMOJI", "VERIFIED" } }, staff.Token);
        Assert.That(Features(replaced), Is.EqualTo(new[] { "MORE_EMOJI", "VERIFIED" }));
        var added = await server.ResultAsync("admin.guilds.features.add", new { guild_id = guildId, features = new[] { "INVITE_SPLASH", "VERIFIED" } }, staff.Token);
        Assert.That(Features(added), Is.EqualTo(new[] { "INVITE_SPLASH", "MORE_EMOJI", "VERIFIED" }));

        var got = await server.ResultAsync("guilds.get", new { guild_id = guildId }, owner.Token);
        Assert.That(Features(got), Is.EqualTo(new[] { "INVITE_SPLASH", "MORE_EMOJI", "VERIFIED" }));
        Assert.That(got.GetProperty("emoji_limit").GetInt32(), Is.EqualTo(200));
        var mine = await server.ResultAsync("users.guilds", new { }, owner.Token);
        Assert.That(Features(mine.EnumerateArray().Single(g => g.GetProperty("id").GetString() == guildId)), Has.Member("MORE_EMOJI"));
        await using (var gateway = await GatewayClient.IdentifyAsync(server, owner.Token))
        {
            var readyGuild = gateway.Ready.GetProperty("d").GetProperty("guilds").EnumerateArray().Single(g => g.GetProperty("id").GetString() == guildId);
            Assert.That(Features(readyGuild), Is.EqualTo(new[] { "INVITE_SPLASH", "MORE_EMOJI", "VERIFIED" }));
        }

        var removed = await server.ResultAsync("admin.guilds.features.remove", new { guild_id = guildId, features = new[] { "MORE_EMOJI", "VANITY_URL" } }, staff.Token);
        Assert.That(Features(removed), Is.EqualTo(new[] { "INVITE_SPLASH", "VERIFIED" }));
        var after = await server.ResultAsync("admin.guilds.get", new { guild_id = guildId }, staff.Token);
        Assert.That(after.GetProperty("emoji_limit").GetInt32(), Is.EqualTo(50));
        var cleared = await server.ResultAsync("admin.guilds.features.replace", new { guild_id = guildId, features = Array.Empty<string>() }, staff.Token);
        Assert.That(Features(cleared), Is.Empty);
    }

    [Test]
    public async Task Features_Change_SendsGuildUpdate_AndIsAudited()
    {
        var owner = await server.NewUserAsync();
        var guildId = await NewGuildAsync(owner);
        await using var gateway = await GatewayClient.IdentifyAsync(server, owner.Token);
        await server.ResultAsync("admin.guilds.features.add", new { guild_id = guildId, features = new[] { "VANITY_URL" } }, staff.Token);
        var e = await gateway.NextEventAsync("GUILD_UPDATE");
        Assert.That(Features(e.GetProperty("d")), Is.EqualTo(new[] { "VANITY_URL" }));
        var audit = await AuditOfAsync("guild.features", guildId);
        Assert.That(audit, Is.Not.Null);
        Assert.That(Features(audit!.Value.GetProperty("before")), Is.Empty);
        Assert.That(Features(audit.Value.GetProperty("after")), Is.EqualTo(new[] { "VANITY_URL" }));

        // Adding what is there already changes nothing: no event.
        await server.ResultAsync("admin.guilds.features.add", new { guild_id = guildId, features = new[] { "VANITY_URL" } }, staff.Token);
        Assert.That(await gateway.HasEventAsync("GUILD_UPDATE", TimeSpan.FromMilliseconds(200)), Is.False);
    }

    [Test]
    public async Task Features_ConcurrentAddsAndRemoves_NeverLoseEachOthersChanges()
    {
        var owner = await server.NewUserAsync();
        var guildId = await NewGuildAsync(owner);
        await server.ResultAsync("admin.guilds.features.replace", new { guild_id = guildId, features = new[] { "VERIFIED" } }, staff.Token);
        var calls = new[] { "INVITE_SPLASH", "VIP_REGIONS", "VANITY_URL", "MORE_EMOJI" }
            .Select(f => server.ResultAsync("admin.guilds.features.add", new { guild_id = guildId, features = new[] { f } }, staff.Token))
            .Append(server.ResultAsync("admin.guilds.features.remove", new { guild_id = guildId, features = new[] { "VERIFIED" } }, staff.Token));
        await Task.WhenAll(calls);
        var guild = await server.ResultAsync("admin.guilds.get", new { guild_id = guildId }, staff.Token);
        Assert.That(Features(guild), Is.EqualTo(new[] { "INVITE_SPLASH", "VIP_REGIONS", "VANITY_URL", "MORE_EMOJI" }));
    }

    [Test]
    public async Task Features_Unknown_AreRefused_NamingThemAndTheAcceptedOnes_NothingStored()
    {
        var owner = await server.NewUserAsync();
        var guildId = await NewGuildAsync(owner);
        foreach (var method in new[] { "admin.guilds.features.replace", "admin.guilds.features.add", "admin.guilds.features.remove" })
        {
            var data = await DataAsync(method, new { guild_id = guildId, features = new[] { "VERIFIED", "COMMERCE", "news", "COMMERCE" } }, staff.Token);
            Assert.That(data, Is.EqualTo("unknown guild features: COMMERCE, news; accepted: INVITE_SPLASH, VIP_REGIONS, VANITY_URL, MORE_EMOJI, VERIFIED"));
        }

        foreach (var bad in new object[] { new { guild_id = guildId }, new { guild_id = guildId, features = (string[]?)null }, new { guild_id = guildId, features = "VERIFIED" } })
        {
            var error = await server.ErrorAsync("admin.guilds.features.replace", bad, staff.Token);
            Assert.That(error.GetProperty("code").GetInt32(), Is.EqualTo(-32602), error.ToString());
        }

        var guild = await server.ResultAsync("admin.guilds.get", new { guild_id = guildId }, staff.Token);
        Assert.That(Features(guild), Is.Empty);
    }

    [Test]
    public async Task Region_OnCreateAndUpdate_UnknownDeprecatedAndVipWithoutFeature_AreRefused()
    {
        var owner = await server.NewUserAsync();
        var plain = await NewRegionAsync();
        var vip = await NewRegionAsync(vip: true);
        var old = await NewRegionAsync();
        await server.ResultAsync("admin.voice.regions.deprecate", new { region = old }, staff.Token);

        Assert.That(await DataAsync("guilds.create", new { name = "Voice", region = "nowhere-x" }, owner.Token), Is.EqualTo("voice region nowhere-x does not exist"));
        Assert.That(await DataAsync("guilds.create", new { name = "Voice", region = old }, owner.Token), Is.EqualTo($"voice region {old} is deprecated"));
        Assert.That(await DataAsync("guilds.create", new { name = "Voice", region = vip }, owner.Token), Is.EqualTo($"voice region {vip} is VIP-only: the guild needs the VIP_REGIONS feature"));

        var guild = await server.ResultAsync("guilds.create", new { name = "Voice", region = plain }, owner.Token);
        Assert.That(guild.GetProperty("region").GetString(), Is.EqualTo(plain));
        Assert.That(guild.GetProperty("voice_available").GetBoolean(), Is.True);
        var guildId = guild.GetProperty("id").GetString()!;

        Assert.That(await DataAsync("guilds.update", new { guild_id = guildId, region = vip }, owner.Token), Is.EqualTo($"voice region {vip} is VIP-only: the guild needs the VIP_REGIONS feature"));
        Assert.That(await DataAsync("guilds.update", new { guild_id = guildId, region = old }, owner.Token), Is.EqualTo($"voice region {old} is deprecated"));
        Assert.That(await DataAsync("guilds.update", new { guild_id = guildId, region = "nowhere-x" }, owner.Token), Is.EqualTo("voice region nowhere-x does not exist"));
        Assert.That((await server.ResultAsync("guilds.get", new { guild_id = guildId }, owner.Token)).GetProperty("region").GetString(), Is.EqualTo(plain));

        await server.ResultAsync("admin.guilds.features.add", new { guild_id = guildId, features = new[] { "VIP_REGIONS" } }, staff.Token);
        var onVip = await server.ResultAsync("guilds.update", new { guild_id = guildId, region = vip }, owner.Token);
        Assert.That(onVip.GetProperty("region").GetString(), Is.EqualTo(vip));
        Assert.That(onVip.GetProperty("voice_available").GetBoolean(), Is.True);

        // Losing VIP_REGIONS keeps the region but turns voice off.
        await server.ResultAsync("admin.guilds.features.remove", new { guild_id = guildId, features = new[] { "VIP_REGIONS" } }, staff.Token);
        Assert.That((await server.ResultAsync("guilds.get", new { guild_id = guildId }, owner.Token)).GetProperty("voice_available").GetBoolean(), Is.False);

        var cleared = await server.ResultAsync("guilds.update", new { guild_id = guildId, region = "" }, owner.Token);
        Assert.That(cleared.GetProperty("region").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(cleared.GetProperty("voice_available").GetBoolean(), Is.True);
    }

    [Test]
    public async Task GuildsUpdate_Rename_SendsGuildUpdate_OwnerOnly_NonMemberUnknown_NothingGivenRefused()
    {
        var owner = await server.NewUserAsync();
        var member = await server.NewUserAsync();
        var outsider = await server.NewUserAsync();
        var guildId = await NewGuildAsync(owner);
        await JoinAsync(guildId, owner, member);
        await using var memberGateway = await GatewayClient.IdentifyAsync(server, member.Token);

        var renamed = await server.ResultAsync("guilds.update", new { guild_id = guildId, name = "  Renamed  " }, owner.Token);
        Assert.That(renamed.GetProperty("name").GetString(), Is.EqualTo("Renamed"));
        var e = await memberGateway.NextEventAsync("GUILD_UPDATE");
        Assert.That(e.GetProperty("d").GetProperty("name").GetString(), Is.EqualTo("Renamed"));

        Assert.That(await DataAsync("guilds.update", new { guild_id = guildId, name = "Mine" }, member.Token), Is.EqualTo("only the guild's owner may do this"));
        Assert.That(await DataAsync("guilds.update", new { guild_id = guildId, name = "Mine" }, outsider.Token), Is.EqualTo("unknown guild"));
        Assert.That(await DataAsync("guilds.update", new { guild_id = guildId }, owner.Token), Is.EqualTo("give at least one of name and region"));
        Assert.That(await DataAsync("guilds.update", new { guild_id = guildId, name = "x" }, owner.Token), Is.EqualTo("guild name must be between 2 and 100 characters"));
    }

    [Test]
    public async Task DeprecateRegion_TurnsVoiceOff_AndSendsGuildUpdateToMembersOfGuildsUsingIt()
    {
        var owner = await server.NewUserAsync();
        var member = await server.NewUserAsync();
        var region = await NewRegionAsync();
        var other = await NewRegionAsync();
        var usingIt = await NewGuildAsync(owner, region);
        var notUsingIt = await NewGuildAsync(owner, other);
        await JoinAsync(usingIt, owner, member);
        await JoinAsync(notUsingIt, owner, member);
        await using var memberGateway = await GatewayClient.IdentifyAsync(server, member.Token);

        await server.ResultAsync("admin.voice.regions.deprecate", new { region }, staff.Token);
        var e = await memberGateway.NextEventAsync("GUILD_UPDATE");
        Assert.That(e.GetProperty("d").GetProperty("id").GetString(), Is.EqualTo(usingIt));
        Assert.That(e.GetProperty("d").GetProperty("voice_available").GetBoolean(), Is.False);
        Assert.That(await memberGateway.HasEventAsync("GUILD_UPDATE", TimeSpan.FromMilliseconds(200)), Is.False);
        Assert.That((await server.ResultAsync("guilds.get", new { guild_id = usingIt }, member.Token)).GetProperty("voice_available").GetBoolean(), Is.False);
        Assert.That((await server.ResultAsync("guilds.get", new { guild_id = notUsingIt }, member.Token)).GetProperty("voice_available").GetBoolean(), Is.True);
    }

    [Test]
    public async Task DeleteUser_LeavesGuildsAndGroupDms_TransfersOwnedGuild_DeletesLonelyGuild_KeepsDms()
    {
        var doomed = await server.NewUserAsync();
        var first = await server.NewUserAsync();
        var second = await server.NewUserAsync();
        var owned = await NewGuildAsync(doomed);
        await JoinAsync(owned, doomed, first);
        await JoinAsync(owned, doomed, second);
        var lonely = await NewGuildAsync(doomed);
        var joined = await NewGuildAsync(second);
        await JoinAsync(joined, second, doomed);
        await server.MakeFriendsAsync(doomed, [first, second]);
        var group = await server.ResultAsync("users.createGroupDm", new { recipient_ids = new[] { first.Id, second.Id } }, doomed.Token);
        var groupId = group.GetProperty("id").GetString()!;
        var dm = await server.ResultAsync("users.createDm", new { recipient_id = first.Id }, doomed.Token);
        var dmId = dm.GetProperty("id").GetString()!;
        await using var firstGateway = await GatewayClient.IdentifyAsync(server, first.Token);
        await using var secondGateway = await GatewayClient.IdentifyAsync(server, second.Token);

        await server.ResultAsync("admin.users.delete", new { user_id = doomed.Id }, staff.Token);

        var removed = await firstGateway.NextEventAsync("GUILD_MEMBER_REMOVE");
        Assert.That(removed.GetProperty("d").GetProperty("guild_id").GetString(), Is.EqualTo(owned));
        Assert.That(removed.GetProperty("d").GetProperty("user").GetProperty("id").GetString(), Is.EqualTo(doomed.Id));
        var update = await firstGateway.NextEventAsync("GUILD_UPDATE");
        Assert.That(update.GetProperty("d").GetProperty("owner_id").GetString(), Is.EqualTo(first.Id), "the longest-standing member inherits the guild");
        var left = await firstGateway.NextEventAsync("CHANNEL_RECIPIENT_REMOVE");
        Assert.That(left.GetProperty("d").GetProperty("channel_id").GetString(), Is.EqualTo(groupId));
        Assert.That(left.GetProperty("d").GetProperty("user").GetProperty("id").GetString(), Is.EqualTo(doomed.Id));
        var heir = new[] { long.Parse(first.Id), long.Parse(second.Id) }.Min().ToString();
        Assert.That(left.GetProperty("d").GetProperty("owner_id").GetString(), Is.EqualTo(heir));

        var secondSaw = new HashSet<string>();
        for (var i = 0; i < 2; i++)
        {
            secondSaw.Add((await secondGateway.NextEventAsync("GUILD_MEMBER_REMOVE")).GetProperty("d").GetProperty("guild_id").GetString()!);
        }

        Assert.That(secondSaw, Is.EquivalentTo(new[] { owned, joined }));
        Assert.That((await secondGateway.NextEventAsync("CHANNEL_RECIPIENT_REMOVE")).GetProperty("d").GetProperty("channel_id").GetString(), Is.EqualTo(groupId));

        var ownedNow = await server.ResultAsync("admin.guilds.get", new { guild_id = owned }, staff.Token);
        Assert.That(ownedNow.GetProperty("owner_id").GetString(), Is.EqualTo(first.Id));
        Assert.That(ownedNow.GetProperty("member_count").GetInt32(), Is.EqualTo(2));
        Assert.That((await server.ResultAsync("admin.guilds.get", new { guild_id = joined }, staff.Token)).GetProperty("member_count").GetInt32(), Is.EqualTo(1));
        Assert.That(await DataAsync("admin.guilds.get", new { guild_id = lonely }, staff.Token), Is.EqualTo($"guild {lonely} does not exist"));

        var channels = await server.ResultAsync("users.channels", new { }, first.Token);
        var groupNow = channels.EnumerateArray().Single(c => c.GetProperty("id").GetString() == groupId);
        Assert.That(groupNow.GetProperty("recipients").EnumerateArray().Select(u => u.GetProperty("id").GetString()), Is.EquivalentTo(new[] { first.Id, second.Id }));
        Assert.That(groupNow.GetProperty("owner_id").GetString(), Is.EqualTo(heir));
        Assert.That(channels.EnumerateArray().Any(c => c.GetProperty("id").GetString() == dmId), Is.True, "1:1 DMs stay");

        // The heir now owns the guild: it may change it.
        var renamed = await server.ResultAsync("guilds.update", new { guild_id = owned, name = "Inherited" }, first.Token);
        Assert.That(renamed.GetProperty("name").GetString(), Is.EqualTo("Inherited"));
    }
}
