namespace Rpc.Bench;

/// <summary>Command-line settings of <c>./run.sh bench</c>.</summary>
public sealed record BenchSettings
{
    /// <summary>Users in the main database. <c>--users N</c>.</summary>
    public int Users { get; init; } = 100_000;

    /// <summary>Users in the scale row's database; 0 skips the row. <c>--scale-users N</c>, <c>--no-scale</c>.</summary>
    public int ScaleUsers { get; init; } = 1_000_000;

    /// <summary>Seconds each throughput measurement runs, after a one-second warm-up. <c>--seconds N</c>.</summary>
    public int Seconds { get; init; } = 5;

    /// <summary>Which rows to run, as letters a–h (a–g the order, h the abuse rows of issue #11). <c>--rows abc</c>; default all.</summary>
    public string Rows { get; init; } = "abcdefgh";

    /// <summary>Authenticated WebSockets the gateway bench opens (<c>./run.sh bench gateway</c>). <c>--connections N</c>.</summary>
    public int Connections { get; init; } = 10_000;

    /// <summary>Gateway bench: insert the guild's members before the connections identify (so every identify fans out to all online members). <c>--members-first</c>.</summary>
    public bool MembersFirst { get; init; }

    /// <summary>Whether row <paramref name="letter"/> runs.</summary>
    public bool Runs(char letter) => Rows.Contains(letter, StringComparison.Ordinal);

    /// <summary>Where the table is written. <c>--out PATH</c>.</summary>
    public string Output { get; init; } = Path.Combine("bench", "results.md");

    public static BenchSettings Parse(string[] args)
    {
        var settings = new BenchSettings();
        for (var i = 0; i < args.Length; i++)
        {
            settings = args[i] switch
            {
                "--users" => settings with { Users = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture) },
                "--scale-users" => settings with { ScaleUsers = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture) },
                "--no-scale" => settings with { ScaleUsers = 0 },
                "--seconds" => settings with { Seconds = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture) },
                "--rows" => settings with { Rows = args[++i] },
                "--out" => settings with { Output = args[++i] },
                "--connections" => settings with { Connections = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture) },
                "--members-first" => settings with { MembersFirst = true },
                _ => throw new ArgumentException($"unknown argument {args[i]}; use --users N, --scale-users N, --no-scale, --seconds N, --rows abcdefgh, --out PATH, --connections N, --members-first"),
            };
        }

        return settings;
    }
}
