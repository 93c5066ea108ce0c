using System.Diagnostics;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Gateway;

/// <summary>
/// Runs examples/js-bot, on the repository's JavaScript client (clients/js: @open-rpc/client-js, which
/// run.sh installs with scripts/install-js-bot.sh), against a live server through a dropped connection:
/// the bot follows methods.md's Gateway guide. And the client's generated method wrappers are current.
/// </summary>
public sealed class JsBotTests
{
    private static string BotDirectory()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "examples", "js-bot", "bot.js")))
        {
            directory = directory.Parent;
        }

        return directory is null ? throw new FileNotFoundException("examples/js-bot/bot.js") : Path.Combine(directory.FullName, "examples", "js-bot");
    }

    [Test]
    public async Task JsBot_DropsAndResumes_GetsTheMissedEvent_AndACleanCloseEndsItsSession()
    {
        var bot = BotDirectory();
        Assert.That(Directory.Exists(Path.Combine(bot, "..", "..", "clients", "js", "node_modules", "@open-rpc", "client-js")), Is.True, "run scripts/install-js-bot.sh (./run.sh test does)");
        // The bot changes its presence while away and expects it replayed: within the presence grace period it is
        // still present, so the change is an event at once. Past it (5 s by default, which a loaded machine can take
        // between the drop and the change) the change would only show when the resume brings the user back online.
        await using var server = await RpcTestServer.StartAsync(new Dictionary<string, string?> { ["Gateway:PresenceGracePeriod"] = "00:02:00" });
        var info = new ProcessStartInfo("node") { WorkingDirectory = bot, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "bot.js", "--url", server.WebSocketUri.ToString(), "--register", "--simulate-drop", "--backoff-base-ms", "200" })
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("the bot did not finish: " + await stdout);
        }

        var output = await stdout;
        TestContext.Out.WriteLine(output);
        Assert.That(process.ExitCode, Is.Zero, output + await stderr);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Some.Match(@"^READY session=[A-Za-z0-9_-]{22} s=1 "));
        Assert.That(lines, Has.Some.Match(@"^EVENT PRESENCE_UPDATE s=2 user=\d+ status=ONLINE$"), "its own ONLINE right after READY");
        Assert.That(lines, Has.Some.Match(@"^DROP code=1006$"));
        Assert.That(lines, Has.Some.Match(@"^CLOSED code=1006 action=resume$"));
        Assert.That(lines, Has.Some.Match(@"^EVENT PRESENCE_UPDATE s=3 user=\d+ status=IDLE$"), "the event missed while away, replayed");
        Assert.That(lines, Has.Some.Match(@"^RESUMED s=4 replayed=1$"));
        Assert.That(lines, Has.Some.Match(@"^RESUME ok session=[A-Za-z0-9_-]{22} replayed=1$"));
        Assert.That(lines, Has.Some.EqualTo("SELF same user"));
        Assert.That(lines, Has.Some.EqualTo("RESUME refused: unknown or expired gateway session: identify again and start over from READY"));
        Assert.That(lines, Has.Some.Match(@"^END resumed_after_clean_close=false "));
        Assert.That(lines, Has.None.StartsWith("GAP"));
    }

    [Test]
    public async Task JsGateway_After4029_WaitsTheSecondsItsReasonGives_OtherClosesOnlyTheBackoff()
    {
        // The guide's close-code table: 4029 means reconnect after N seconds; a jittered backoff alone (here at most
        // 200 ms) would come back before the address's pace allows and be closed again.
        const string script = """
            import { reconnectDelay } from './index.mjs';
            const limited = { code: 4029, reason: 'rate limited: retry after 7 seconds: this address sends more than the server reads from one address' };
            const dropped = { code: 1006, reason: '' };
            console.log([reconnectDelay(limited, 0, 200, 60000), reconnectDelay(dropped, 0, 200, 60000)].map(Math.ceil).join(' '));
            """;
        var info = new ProcessStartInfo("node") { WorkingDirectory = Path.GetFullPath(Path.Combine(BotDirectory(), "..", "..", "clients", "js")), RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "--input-type=module", "-e", script })
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
        Assert.That(process.ExitCode, Is.Zero, await stderr);
        var delays = (await stdout).Trim().Split(' ').Select(int.Parse).ToArray();
        Assert.That(delays[0], Is.EqualTo(7000), "a 4029 waits the seconds its reason gives");
        Assert.That(delays[1], Is.InRange(0, 200), "a drop waits only the jittered backoff");
    }

    [Test]
    public async Task JsClient_GeneratedFromTheServersOpenRpcDocument_IsCurrent()
    {
        var client = Path.GetFullPath(Path.Combine(BotDirectory(), "..", "..", "clients", "js"));
        var info = new ProcessStartInfo("node") { WorkingDirectory = client, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "generate.mjs", "--url", SharedServer.Instance.BaseUri.ToString(), "--check" })
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
        Assert.That((await stdout).Trim(), Is.EqualTo("CURRENT"), "run node clients/js/generate.mjs --url URL against a server of this build: " + await stderr);
        Assert.That(process.ExitCode, Is.Zero);
    }
}
