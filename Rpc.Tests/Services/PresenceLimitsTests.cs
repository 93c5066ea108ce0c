using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Services;

/// <summary>Issue #11: <c>users.presence</c> is limited per user, and a burst reaches observers as its latest state.</summary>
public sealed class PresenceLimitsTests
{
    private static RpcTestServer Server => SharedServer.Instance;

    [Test]
    public async Task Presence_PastFiveChangesIn20Seconds_IsRefusedWithRetryAfter()
    {
        var user = await Server.NewUserAsync();
        string[] statuses = ["IDLE", "DND", "ONLINE", "IDLE", "DND"];
        foreach (var status in statuses)
        {
            Assert.That((await Server.ResultAsync("users.presence", new { status }, user.Token)).GetString(), Is.EqualTo(status));
        }

        var error = await Server.ErrorAsync("users.presence", new { status = "ONLINE" }, user.Token);
        Assert.That(error.GetProperty("data").GetString(), Does.Match(@"^rate limited: retry after [1-4] seconds: too many presence changes\z"));
        var other = await Server.NewUserAsync();
        Assert.That((await Server.ResultAsync("users.presence", new { status = "IDLE" }, other.Token)).GetString(), Is.EqualTo("IDLE"), "the limit is per user");
    }

    [Test]
    public async Task PresenceBurst_ReachesObservers_AsFewUpdates_EndingWithTheLatestState()
    {
        var user = await Server.NewUserAsync();
        var observer = await Server.NewUserAsync();
        var guildId = (await Server.ResultAsync("guilds.create", new { name = "observed" }, user.Token)).GetProperty("id").GetString();
        var code = (await Server.ResultAsync("guilds.invites.create", new { guild_id = guildId }, user.Token)).GetProperty("code").GetString();
        await Server.ResultAsync("guilds.join", new { code }, observer.Token);
        await using var watching = await GatewayClient.IdentifyAsync(Server, observer.Token);
        string[] burst = ["IDLE", "DND", "ONLINE", "IDLE", "DND"];
        foreach (var status in burst)
        {
            await Server.ResultAsync("users.presence", new { status }, user.Token);
        }

        var seen = new List<string>();
        while (!seen.Contains("DND") || seen[^1] != "DND")
        {
            var update = await watching.NextEventAsync("PRESENCE_UPDATE");
            if (update.GetProperty("d").GetProperty("user_id").GetString() == user.Id)
            {
                seen.Add(update.GetProperty("d").GetProperty("status").GetString()!);
            }
        }

        Assert.That(await watching.HasEventAsync("PRESENCE_UPDATE", TimeSpan.FromSeconds(1.5)), Is.False, "nothing after the latest state");
        Assert.That(seen, Has.Count.LessThanOrEqualTo(2), $"five changes in a burst reach the observer as the first and the latest: {string.Join(", ", seen)}");
    }
}
