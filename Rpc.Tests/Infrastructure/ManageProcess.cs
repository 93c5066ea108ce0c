using System.Diagnostics;
using Microsoft.Extensions.Options;
using Rpc.Server.Data;

namespace Rpc.Tests.Infrastructure;

/// <summary>The real <c>Rpc.Server.dll manage …</c> process (what <c>./run.sh manage</c> runs) against a test database.</summary>
public static class ManageProcess
{
    /// <summary>The server's build beside the test's: the test runs from Rpc.Tests/bin/&lt;Configuration&gt;/&lt;tfm&gt;/.</summary>
    public static string ServerDll()
    {
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = testOutput.Name;
        var configuration = testOutput.Parent!.Name;
        var root = testOutput.Parent!.Parent!.Parent!.Parent!.FullName;
        var dll = Path.Combine(root, "Rpc.Server", "bin", configuration, framework, "Rpc.Server.dll");
        Assert.That(File.Exists(dll), Is.True, dll);
        return dll;
    }

    /// <summary>The arguments that point the command at <paramref name="server"/>'s database.</summary>
    public static string[] TargetOf(RpcTestServer server)
    {
        var database = server.Get<IOptions<DatabaseOptions>>().Value;
        return database.Provider == "postgres"
            ? ["--Database:Provider", "postgres", "--Database:ConnectionString", database.ConnectionString!]
            : ["--db", server.DatabasePath];
    }

    /// <summary>Runs <c>manage</c> with <paramref name="args"/> and then <paramref name="target"/>; returns its exit code and output.</summary>
    public static async Task<(int Exit, string Out, string Err)> RunAsync(IEnumerable<string> target, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(ServerDll());
        start.ArgumentList.Add("manage");
        foreach (var arg in args.Concat(target))
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }
}
