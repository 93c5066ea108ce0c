using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Rpc.Tests.Infrastructure;

/// <summary>
/// The real server as a process of its own (<c>dotnet Rpc.Server.dll --port 0 --db …</c>), found
/// through the address its start-up banner prints, for tests that kill it.
/// </summary>
public sealed partial class ServerProcess : IAsyncDisposable
{
    private readonly Process process;

    private ServerProcess(Process process, Uri baseUri, System.Collections.Concurrent.ConcurrentQueue<string> output)
    {
        this.process = process;
        Output = output;
        BaseUri = baseUri;
        Http = new HttpClient { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(30) };
    }

    public Uri BaseUri { get; }

    public HttpClient Http { get; }

    /// <summary>Every line the process wrote, standard output and error.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> Output { get; }

    public int Id => process.Id;

    /// <summary>
    /// Starts <c>dotnet Rpc.Server.dll --db PATH</c> with <paramref name="arguments"/> (default <c>--port 0</c>),
    /// or <paramref name="executable"/> (a published build) instead of the test's copy of the server.
    /// </summary>
    public static async Task<ServerProcess> StartAsync(string databasePath, IReadOnlyDictionary<string, string> environment, IEnumerable<string>? arguments = null, string? executable = null)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Rpc.Server.dll");
        var info = new ProcessStartInfo(executable ?? "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in (executable is null ? new[] { dll } : []).Concat(arguments ?? ["--port", "0"]).Concat(["--db", databasePath]))
        {
            info.ArgumentList.Add(arg);
        }

        // The address is read from the banner, a log line: keep it visible whatever level a test sets.
        info.Environment["Logging__LogLevel__Rpc.Server.Startup"] = "Information";
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var process = Process.Start(info)!;
        var address = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                output.Enqueue(line);
                if (Banner().Match(line) is { Success: true } match)
                {
                    address.TrySetResult(new Uri(match.Groups[1].Value));
                }
            }
        };
        process.ErrorDataReceived += (_, e) => output.Enqueue(e.Data ?? string.Empty);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            return new ServerProcess(process, await address.Task.WaitAsync(TimeSpan.FromSeconds(60)), output);
        }
        catch (TimeoutException)
        {
            process.Kill();
            throw new InvalidOperationException("the server printed no address:\n" + string.Join("\n", output));
        }
    }

    /// <summary>Kills the process with SIGKILL: no shutdown code runs.</summary>
    public async Task KillAsync()
    {
        process.Kill();
        await process.WaitForExitAsync();
    }

    /// <summary>Sends SIGTERM, as systemd and Docker do to stop a service.</summary>
    public void Terminate() => Signal("TERM");

    /// <summary>Sends the process a signal by name (TERM, STOP, CONT), through kill(1).</summary>
    public void Signal(string name)
    {
        using var kill = Process.Start("kill", ["-" + name, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>Waits for the process to end and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan limit)
    {
        await process.WaitForExitAsync().WaitAsync(limit);
        return process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!process.HasExited)
        {
            await KillAsync();
        }

        process.Dispose();
    }

    [GeneratedRegex(@"POST (http://\S+)/rpc")]
    private static partial Regex Banner();
}
