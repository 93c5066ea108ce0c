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

    public static Task<ServerProcess> StartAsync(string dll, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null) =>
        StartProgramAsync("dotnet", [dll, .. args], environment);

    /// <summary>Any program that prints <c>POST http://ADDRESS/rpc</c> once it listens (the Node reference: <c>node bench/ws-reference.mjs</c>).</summary>
    public static async Task<ServerProcess> StartProgramAsync(string program, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var arguments = args.ToList();
        var dll = arguments.FirstOrDefault() ?? program;
        foreach (var arg in arguments)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        // The address is read from the banner, a log line: keep it visible whatever level the bench sets.
        info.Environment["Logging__LogLevel__Rpc.Server.Startup"] = "Information";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start " + dll);
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
                Console.Error.WriteLine($"[{Path.GetFileNameWithoutExtension(dll)}] {line}");
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
