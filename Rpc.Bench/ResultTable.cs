using System.Globalization;
using System.Text;

namespace Rpc.Bench;

/// <summary>One row of the results: a measurement beside its ceiling, the ratio and the verdict.</summary>
public sealed record BenchRow(string Name, string Target, string Measured, string Ceiling, double Ratio, bool Pass, string Notes);

/// <summary>Collects rows and renders the markdown table.</summary>
public sealed class ResultTable
{
    private readonly List<BenchRow> rows = [];

    public void Add(BenchRow row)
    {
        rows.Add(row);
        Console.WriteLine($"  {(row.Pass ? "PASS" : "FAIL")}  {row.Name}: {row.Measured} | ceiling {row.Ceiling} | ratio {row.Ratio.ToString("0.00", CultureInfo.InvariantCulture)} | {row.Notes}");
    }

    public bool AllPass => rows.All(r => r.Pass);

    public string Render()
    {
        var text = new StringBuilder();
        text.AppendLine("| row | target | measured | ceiling / reference | ratio | result | notes |");
        text.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var r in rows)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {r.Name} | {r.Target} | {r.Measured} | {r.Ceiling} | {r.Ratio:0.00} | {(r.Pass ? "PASS" : "FAIL")} | {r.Notes} |");
        }

        return text.ToString();
    }

    /// <summary>
    /// Writes the report (title, what was run, the table, the notes) to <paramref name="path"/> and the
    /// console; returns the process exit code: 0 when every row passed.
    /// </summary>
    public async Task<int> WriteReportAsync(string title, string description, IEnumerable<string> notes, string path)
    {
        var report = new System.Text.StringBuilder();
        report.AppendLine("# " + title);
        report.AppendLine();
        report.AppendLine(description);
        report.AppendLine();
        report.Append(Render());
        report.AppendLine();
        foreach (var note in notes)
        {
            report.AppendLine("- " + note);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, report.ToString());
        Console.WriteLine();
        Console.WriteLine(report);
        Console.WriteLine($"written to {path}");
        return AllPass ? 0 : 1;
    }
}
