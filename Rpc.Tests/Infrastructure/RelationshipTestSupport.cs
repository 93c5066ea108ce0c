namespace Rpc.Tests.Infrastructure;

/// <summary>Relationships for tests that need consent before a DM or a group DM.</summary>
public static class RelationshipTestSupport
{
    /// <summary>Makes <paramref name="a"/> and <paramref name="b"/> friends: a sends a request, b accepts.</summary>
    public static async Task MakeFriendsAsync(this RpcTestServer server, TestUser a, TestUser b)
    {
        await server.ResultAsync("users.relationships.add", new { user_id = b.Id }, a.Token);
        var accepted = await server.ResultAsync("users.relationships.add", new { user_id = a.Id }, b.Token);
        Assert.That(accepted.GetProperty("type").GetInt32(), Is.EqualTo(1), "the two should be friends");
    }

    /// <summary>Makes <paramref name="owner"/> friends with each of <paramref name="others"/>.</summary>
    public static async Task MakeFriendsAsync(this RpcTestServer server, TestUser owner, IEnumerable<TestUser> others)
    {
        foreach (var other in others)
        {
            await server.MakeFriendsAsync(owner, other);
        }
    }

    /// <summary>Creates a guild owned by <paramref name="owner"/> that <paramref name="members"/> join; returns its id.</summary>
    public static async Task<string> ShareGuildAsync(this RpcTestServer server, TestUser owner, params TestUser[] members)
    {
        var guildId = (await server.ResultAsync("guilds.create", new { name = "shared" }, owner.Token)).GetProperty("id").GetString()!;
        var code = (await server.ResultAsync("guilds.invites.create", new { guild_id = guildId }, owner.Token)).GetProperty("code").GetString();
        foreach (var member in members)
        {
            await server.ResultAsync("guilds.join", new { code }, member.Token);
        }

        return guildId;
    }
}
