using Dapper;
using Rpc.Server.Data;
using Rpc.Server.Dispatch;
using Rpc.Server.Services;
using Rpc.Tests.Infrastructure;
using Rpc.Server.Errors;
using Rpc.Server.Text;

namespace Rpc.Tests.Services;

/// <summary>Names short in graphemes but huge in bytes, invisible characters, mixed scripts and look-alike usernames.</summary>
public sealed class NameRulesTests
{
    private static RpcTestServer Server => SharedServer.Instance;

    private static string Data(System.Text.Json.JsonElement error) => error.GetProperty("data").GetString()!;

    private static string Unique() => Guid.NewGuid().ToString("N")[..10];

    /// <summary>Sends the text as UTF-8 unescaped (as an attacker would: 2 or 3 bytes a mark, under the 1 MiB body limit) and returns the error data.</summary>
    private static async Task<string> RawErrorAsync(string method, object parameters, string? token)
    {
        var body = System.Text.Json.JsonSerializer.Serialize(
            new { jsonrpc = "2.0", method, @params = parameters, auth = token, id = 1 },
            new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        var reply = await Server.PostJsonAsync(body);
        return Data(reply.GetProperty("error"));
    }

    [Test]
    public async Task HugeTextsOfFewGraphemes_AreRefusedByTheirCodeUnits()
    {
        var user = await Server.NewUserAsync();
        Assert.That(await RawErrorAsync("users.update", new { display_name = "a" + new string('\u0301', 200_000) }, user.Token),
            Is.EqualTo("display_name must be at most 200 UTF-16 code units"));
        Assert.That(await RawErrorAsync("guilds.create", new { name = "ab" + new string('\u0301', 200_000) }, user.Token),
            Is.EqualTo("name must be at most 200 UTF-16 code units"));
        Assert.That(await RawErrorAsync("users.create", new { username = "a" + new string('\u1100', 100_000), password = "correct horse battery" }, null),
            Is.EqualTo("username must be at most 64 UTF-16 code units"));

        // Just past the bound after normalization: 40 graphemes of 5 units each fit 200 and 41 do not.
        var emojiGuild = string.Concat(Enumerable.Repeat("x\u0301\u0302\u0303\u0304", 41));
        Assert.That(Data(await Server.ErrorAsync("guilds.create", new { name = emojiGuild }, user.Token)), Is.EqualTo("name must be at most 200 UTF-16 code units"));
        await Server.ResultAsync("guilds.create", new { name = emojiGuild[..200] }, user.Token);
    }

    [Test]
    public async Task CombiningMarks_FourPerCharacterAllowed_FiveRefused()
    {
        var user = await Server.NewUserAsync();
        var four = await Server.ResultAsync("users.update", new { display_name = "x" + new string('\u0301', 4) }, user.Token);
        Assert.That(four.GetProperty("display_name").GetString(), Has.Length.EqualTo(5));
        Assert.That(Data(await Server.ErrorAsync("users.update", new { display_name = "x" + new string('\u0301', 5) }, user.Token)),
            Is.EqualTo("display_name may carry at most 4 combining marks on one character"));
        Assert.That(Data(await Server.ErrorAsync("guilds.create", new { name = "ox" + new string('\u0301', 5) }, user.Token)),
            Is.EqualTo("name may carry at most 4 combining marks on one character"));
    }

    [TestCase("a\u202Eb")]
    [TestCase("a\u2066b\u2069")]
    [TestCase("a\u200Bb")]
    [TestCase("a\u200Db")]
    [TestCase("a\u3164b")]
    [TestCase("a\uFFA0b")]
    [TestCase("a\u115Fb")]
    [TestCase("a\0b")]
    [TestCase("a\nb")]
    [TestCase("a\u00ADb")]
    public async Task InvisibleCharacters_AreRefused_InEveryKindOfName(string text)
    {
        var user = await Server.NewUserAsync();
        Assert.That(Data(await Server.ErrorAsync("users.update", new { display_name = text }, user.Token)),
            Is.EqualTo("display_name must not contain control, format or invisible characters").Or.EqualTo("display_name must not be only white space or contain control characters"));
        Assert.That(Data(await Server.ErrorAsync("guilds.create", new { name = text + "guild" }, user.Token)),
            Is.EqualTo("name must not contain control, format or invisible characters"));
        Assert.That(Data(await Server.ErrorAsync("users.create", new { username = text + Unique(), password = "correct horse battery" })),
            Is.EqualTo("username must not contain control, format or invisible characters"));
    }

    [Test]
    public void InvisibleAfterNormalization_IsRefusedToo()
    {
        // U+FFA0 HALFWIDTH HANGUL FILLER normalizes (NFKC) to U+1160 HANGUL JUNGSEONG FILLER: both are
        // refused, and the check runs on both forms.
        var limits = new NameLimits("name", 1, 100, 200, "length");
        Assert.That(Assert.Throws<ServiceException>(() => NameText.Normalize("ab\uFFA0", limits))!.ErrorData, Is.EqualTo("name must not contain control, format or invisible characters"));
        Assert.That("\uFFA0".Normalize(System.Text.NormalizationForm.FormKC), Is.EqualTo("\u1160"));
        Assert.That(NameText.IsInvisible(new System.Text.Rune(0x1160)), Is.True);
    }

    [Test]
    public async Task Username_MixingScripts_IsRefused_OneScriptWithCommonIsAccepted()
    {
        Assert.That(Data(await Server.ErrorAsync("users.create", new { username = "\u0430dmin" + Unique()[..4], password = "correct horse battery" })),
            Is.EqualTo("username must use letters of one script (digits, '_', '.' and '-' go with any)"));
        await Server.ResultAsync("users.create", new { username = "\u0441\u043e\u0440\u0430_" + Random.Shared.Next(100000), password = "correct horse battery" });
        await Server.ResultAsync("users.create", new { username = "\u5c71\u7530\u305f\u308d\u3046" + Random.Shared.Next(100000), password = "correct horse battery" });
    }

    [Test]
    public async Task Username_LookalikeOfATakenName_IsRefused_AndCheckSaysTaken()
    {
        var suffix = Random.Shared.Next(1000, 9999).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var latin = "copa" + suffix;
        var cyrillic = "\u0441\u043e\u0440\u0430" + suffix;
        await Server.ResultAsync("users.create", new { username = latin, password = "correct horse battery" });
        Assert.That(Data(await Server.ErrorAsync("users.create", new { username = cyrillic, password = "correct horse battery" })),
            Is.EqualTo($"username {cyrillic} looks like an existing username"));
        Assert.That((await Server.ResultAsync("users.check", new { username = cyrillic })).GetBoolean(), Is.True);

        var other = await Server.NewUserAsync();
        Assert.That(Data(await Server.ErrorAsync("users.update", new { username = cyrillic }, other.Token)),
            Is.EqualTo($"username {cyrillic} looks like an existing username"));
    }

    [Test]
    public async Task Username_DeletedAccountsLookalike_IsFreeAgain()
    {
        var staff = await Server.NewStaffAsync();
        var suffix = Random.Shared.Next(1000, 9999).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var cyrillic = "\u0441\u043e\u0440\u0435" + suffix;
        var user = await Server.ResultAsync("users.create", new { username = "cope" + suffix, password = "correct horse battery" });
        Assert.That(Data(await Server.ErrorAsync("users.create", new { username = cyrillic, password = "correct horse battery" })), Does.Contain("looks like"));
        await Server.ResultAsync("admin.users.delete", new { user_id = user.GetProperty("id").GetString() }, staff.Token);
        await Server.ResultAsync("users.create", new { username = cyrillic, password = "correct horse battery" });
    }

    [Test]
    public async Task TaggedUsernames_LookalikesShareTheDiscriminatorSpace()
    {
        await using var server = await RpcTestServer.StartAsync(new Dictionary<string, string?> { ["Accounts:UniqueUsernames"] = "false" });
        var latin = await server.ResultAsync("users.create", new { username = "copa", password = "correct horse battery" });
        await server.ResultAsync("users.create", new { username = "\u0441\u043e\u0440\u0430", password = "correct horse battery" });
        var auth = await server.ResultAsync("users.auth", new { username = "\u0441\u043e\u0440\u0430", password = "correct horse battery" });
        var tag = latin.GetProperty("discriminator").GetString()!;
        var error = await server.ErrorAsync("users.update", new { discriminator = tag }, auth.GetProperty("token").GetString());
        Assert.That(Data(error), Is.EqualTo($"\u0441\u043e\u0440\u0430#{tag} is already taken"));
    }

    [Test]
    public async Task Backfill_OldAccounts_GetSkeletons_AndTheOlderLookalikeKeepsTheClaim()
    {
        var suffix = Random.Shared.Next(1000, 9999).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var older = Random.Shared.NextInt64(1L << 40, 1L << 50);
        var newer = older + 1;
        await using (var connection = await Server.OpenDatabaseAsync())
        {
            const string insert = """
                INSERT INTO users (id, username, username_key, username_claim, discriminator, display_name, flags, password_hash, created_at)
                VALUES (@id, @name, @name, @name, '0001', @name, 0, 'x', 0)
                """;
            await connection.ExecuteAsync(insert, new { id = older, name = "pace" + suffix });
            await connection.ExecuteAsync(insert, new { id = newer, name = "\u0440\u0430\u0441\u0435" + suffix });
            await using var transaction = await connection.BeginTransactionAsync();
            Assert.That(await UsernameSkeletonBackfill.RunAsync(connection, transaction, CancellationToken.None), Is.GreaterThanOrEqualTo(1));
            await transaction.CommitAsync();
        }

        await using var check = await Server.OpenDatabaseAsync();
        var rows = (await check.QueryAsync<(long Id, string? Skeleton, string? Claim)>(
            "SELECT id, username_skeleton, skeleton_claim FROM users WHERE id IN (@older, @newer) ORDER BY id", new { older, newer })).ToList();
        var skeleton = UsernameConfusables.Skeleton("pace" + suffix);
        Assert.That(UsernameConfusables.Skeleton("\u0440\u0430\u0441\u0435" + suffix), Is.EqualTo(skeleton));
        Assert.That(rows[0].Skeleton, Is.EqualTo(skeleton));
        Assert.That(rows[0].Claim, Is.EqualTo(skeleton));
        Assert.That(rows[1].Skeleton, Is.EqualTo(skeleton));
        Assert.That(rows[1].Claim, Is.Null, "the newer look-alike keeps its name but claims nothing");
    }

    [TestCase("en\n")]
    [TestCase("fr\n")]
    public async Task Locale_WithATrailingNewline_IsRefused(string locale)
    {
        var user = await Server.NewUserAsync();
        var error = await Server.ErrorAsync("users.linkDiscord", new { discord_id = TestStaff.NewDiscordId(), locale }, user.Token);
        Assert.That(Data(error), Is.EqualTo("locale must be a language tag such as fr or en-US"));
        Assert.Throws<ServiceException>(() => DiscordRules.ValidateProfile(null, "0\n", null, null));
        Assert.Throws<ServiceException>(() => DiscordRules.ValidateSlug("vip\n"));
    }
}
