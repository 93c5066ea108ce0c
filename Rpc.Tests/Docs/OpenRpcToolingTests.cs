using System.Diagnostics;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Docs;

/// <summary>
/// Runs tools/openrpc/check.js (Node, the @open-rpc packages; run.sh installs them with
/// scripts/install-openrpc-tools.sh) against a fresh live server: the document validates against
/// @open-rpc/meta-schema, its examples against its own schemas, and @open-rpc/test-coverage sends every
/// <c>x-live</c> example and compares the reply.
/// </summary>
public sealed class OpenRpcToolingTests
{
    private static string ToolDirectory()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "tools", "openrpc", "check.js")))
        {
            directory = directory.Parent;
        }

        return directory is null ? throw new FileNotFoundException("tools/openrpc/check.js") : Path.Combine(directory.FullName, "tools", "openrpc");
    }

    [Test]
    public async Task OpenRpcTools_ValidateTheDocument_AndEveryLiveExampleGetsItsReply()
    {
        var tool = ToolDirectory();
        Assert.That(Directory.Exists(Path.Combine(tool, "node_modules", "@open-rpc", "test-coverage")), Is.True, "run scripts/install-openrpc-tools.sh (./run.sh test does)");
        await using var server = await RpcTestServer.StartAsync();
        var user = await server.NewUserAsync("fixture");
        var staff = await server.NewStaffAsync();
        var info = new ProcessStartInfo("node") { WorkingDirectory = tool, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "check.js", "--url", server.BaseUri.ToString(), "--user-token", user.Token, "--staff-token", staff.Token })
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("the check did not finish: " + await stdout);
        }

        var output = await stdout;
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines.Where(l => l.StartsWith("FAIL", StringComparison.Ordinal)), Is.Empty, output + await stderr);
        Assert.That(process.ExitCode, Is.Zero, output + await stderr);
        Assert.That(lines, Has.Some.EqualTo("PASS the document validates against @open-rpc/meta-schema"));
        Assert.That(lines, Has.Some.EqualTo("PASS rpc.discover returns the document GET /openrpc.json serves"));
        Assert.That(lines, Has.Some.EqualTo("PASS live: users.check \"answers a fresh account\""));
        Assert.That(lines, Has.Some.EqualTo("PASS live: users.get \"refused: unknown user\""));
        var coverage = lines.Single(l => l.StartsWith("live examples: ", StringComparison.Ordinal));
        Assert.That(coverage, Does.Match(@"^live examples: \d+, covering (6[0-9]|[7-9][0-9]) of \d+ methods$"), "nearly every method has a live example");
    }
}
