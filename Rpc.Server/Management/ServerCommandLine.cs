namespace Rpc.Server.Management;

/// <summary>The server's command-line options, shared by serving and the <c>manage</c> verb.</summary>
public static class ServerCommandLine
{
    /// <summary>Short names for configuration keys: <c>--port 9000</c>, <c>--db PATH</c>.</summary>
    public static readonly IReadOnlyDictionary<string, string> SwitchMappings = new Dictionary<string, string>
    {
        ["--port"] = "Server:Port",
        ["--address"] = "Server:Address",
        ["--db"] = "Database:Path",
    };

    public static void AddTo(IConfigurationBuilder configuration, string[] options) =>
        configuration.AddCommandLine(options, SwitchMappings.ToDictionary());

    /// <summary>
    /// Splits <c>--key value</c> and <c>--key=value</c> options from positional words, so a positional
    /// such as <c>-1</c> is not read as a switch.
    /// </summary>
    public static (string[] Options, IReadOnlyList<string> Positional) Split(string[] args)
    {
        var options = new List<string>();
        var positional = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i].StartsWith("--", StringComparison.Ordinal) && args[i].Length > 2)
            {
                options.Add(args[i]);
                if (!args[i].Contains('=', StringComparison.Ordinal) && i + 1 < args.Length)
                {
                    options.Add(args[++i]);
                }
            }
            else
            {
                positional.Add(args[i]);
            }
        }

        return (options.ToArray(), positional);
    }
}
