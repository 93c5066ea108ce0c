using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Rpc.Server.Operations;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Operations;

/// <summary>The published build (what ./run.sh publish writes) starts on its own, and deploy/rpc-server.service passes systemd-analyze verify.</summary>
[TestFixture]
[Category("sqlite")]
public sealed class PublishTests
{
    [Test]
    public async Task Publish_StartsFromItsFolderAndTheSystemdUnitVerifies()
    {
        var root = ReverseProxyTests.RepositoryRoot();
        var dist = Directory.CreateTempSubdirectory("rpc-dist").FullName;
        // The command run.sh publish runs after its build (the suite has just built the Release binaries).
        var (code, output) = await RunAsync("dotnet", root, "publish", "Rpc.Server/Rpc.Server.csproj", "-c", "Release", "--no-build", "--verbosity", "quiet", "-nologo", "-o", dist);
        Assert.That(code, Is.Zero, output);
        Assert.That(File.Exists(Path.Combine(dist, "Rpc.Server")), Is.True, "the apphost: dist/Rpc.Server");
        Assert.That(File.Exists(Path.Combine(dist, "appsettings.json")), Is.True);
        Assert.That(File.Exists(Path.Combine(dist, "wwwroot", "invite_register.html")), Is.True);

        await using (var server = await ServerProcess.StartAsync(Path.Combine(dist, "data", "rpc.db"), new Dictionary<string, string>(), executable: Path.Combine(dist, "Rpc.Server")))
        {
            var health = JsonDocument.Parse(await server.Http.GetStringAsync("/healthz")).RootElement;
            Assert.That(health.GetProperty("version").GetString(), Is.EqualTo(ServerVersion.Informational));
            Assert.That(server.Output, Has.Some.Contains("Starting the JSON-RPC server " + ServerVersion.Informational));
        }

        if (!File.Exists("/usr/bin/systemd-analyze"))
        {
            Assert.Ignore("systemd-analyze is not installed; the unit was not verified");
        }

        // The unit as installed, pointed at this build.
        var unit = (await File.ReadAllTextAsync(Path.Combine(root, "deploy", "rpc-server.service"))).Replace("/opt/rpc-server", dist, StringComparison.Ordinal);
        var unitPath = Path.Combine(dist, "rpc-server.service");
        await File.WriteAllTextAsync(unitPath, unit);
        var (verify, report) = await RunAsync("/usr/bin/systemd-analyze", dist, "verify", unitPath);
        Assert.That(verify, Is.Zero, report);
        Assert.That(report, Does.Not.Contain("rpc-server.service:"), "no warning about the unit itself");
        Assert.That(unit, Does.Match("(?m)^Type=notify$").And.Not.Match("(?m)^ExecReload="));
    }

    private static async Task<(int Code, string Output)> RunAsync(string file, string directory, params string[] arguments)
    {
        var info = new ProcessStartInfo(file) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await errors);
    }
}
