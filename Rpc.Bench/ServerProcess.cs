using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;

namespace Rpc.Bench;

/// <summary>
/// A server (the real one or the bench's own ceiling) in a process of its own, so its resident size
/// and CPU can be read from /proc. It listens on a free loopback port that it prints at start-up.
/// </summary>
public sealed partial class ServerProcess : IAsyncDisposable
{
    private readonly Process process;

    private ServerProcess(Process process, IPEndPoint endpoint)
    {
        this.process = process;
        Endpoint = endpoint;
    }

    public IPEndPoint Endpoint { get; }

    public int Pid => process.Id;

    public Uri WebSocketUri => new($"ws://{Endpoint}/rpc");

    public double RssMiB => ProcessStats.StatusMiB(Pid, "VmRSS");

    public double PeakRssMiB => ProcessStats.StatusMiB(Pid, "VmHWM");

    public static Task<ServerProcess> StartAsync(string dll, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo("dotnet");
        info.ArgumentList.Add(dll);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        // The address is read from the banner, a log line: keep it visible whatever level the bench sets.
        info.Environment["Logging__LogLevel__Rpc.Server.Startup"] = "Information";
        return StartAsync(info, Path.GetFileNameWithoutExtension(dll), args, environment);
    }

    /// <summary>The Node reference server (<c>bench/ws-reference.cjs</c>), with <c>ws</c> from the JavaScript client's packages.</summary>
    public static Task<ServerProcess> StartNodeAsync(string root, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo("node");
        info.ArgumentList.Add(Path.Combine(root, "bench", "ws-reference.cjs"));
        info.Environment["NODE_PATH"] = Path.Combine(root, "clients", "js", "node_modules");
        return StartAsync(info, "node", args, null);
    }

    private static async Task<ServerProcess> StartAsync(ProcessStartInfo info, string name, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment)
    {
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start " + name);
        var found = new TaskCompletionSource<IPEndPoint>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line && Address().Match(line) is { Success: true } match)
            {
                found.TrySetResult(IPEndPoint.Parse(match.Groups[1].Value));
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 } line)
            {
                Console.Error.WriteLine($"[{name}] {line}");
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var endpoint = await found.Task.WaitAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        return new ServerProcess(process, endpoint);
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill();
            await process.WaitForExitAsync().ConfigureAwait(false);
        }

        process.Dispose();
    }

    [GeneratedRegex(@"POST http://(\S+)/rpc")]
    private static partial Regex Address();
}
