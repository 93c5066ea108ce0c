using System.Globalization;
using System.Text;

namespace Rpc.Server.Text;

/// <summary>
/// The parts of the Unicode Character Database the name rules need, read from the data files embedded
/// in the server (Resources/Unicode, loaded once on first use):
/// <list type="bullet">
/// <item><c>confusables.txt</c>, version 17.0.0: the UTS #39 prototype of each confusable character;</item>
/// <item><c>Scripts.txt</c>, version 15.0.0 (Debian's <c>unicode-data</c>, the Unicode version of the
/// ICU this machine normalizes with): each code point's script;</item>
/// <item><c>PropList.txt</c>, version 15.0.0: <c>Other_Default_Ignorable_Code_Point</c> and
/// <c>Variation_Selector</c>, which with the format characters (Cf) make up Default_Ignorable_Code_Point.</item>
/// </list>
/// The files are the Unicode Consortium's as published, so a new Unicode version is a file swap
///.
/// </summary>
public static class UnicodeData
{
    /// <summary>The script of code points Scripts.txt does not list (unassigned, or newer than the file).</summary>
    public const string UnknownScript = "Unknown";

    private static readonly Lazy<Tables> Data = new(Load);

    /// <summary>The Scripts.txt script of <paramref name="rune"/> (<c>Latin</c>, <c>Cyrillic</c>, <c>Common</c>, <c>Inherited</c>…).</summary>
    public static string ScriptOf(Rune rune)
    {
        var ranges = Data.Value.Scripts;
        int low = 0, high = ranges.Length - 1;
        while (low <= high)
        {
            var middle = (low + high) >>> 1;
            var range = ranges[middle];
            if (rune.Value < range.First)
            {
                high = middle - 1;
            }
            else if (rune.Value > range.Last)
            {
                low = middle + 1;
            }
            else
            {
                return range.Script;
            }
        }

        return UnknownScript;
    }

    /// <summary>Whether <paramref name="rune"/> is Default_Ignorable_Code_Point (invisible: U+200B, U+3164, U+FE0F…).</summary>
    public static bool IsDefaultIgnorable(Rune rune) =>
        Rune.GetUnicodeCategory(rune) == UnicodeCategory.Format || Data.Value.OtherIgnorable.Contains(rune.Value);

    /// <summary>The UTS #39 prototype of <paramref name="rune"/>, or null when it is its own.</summary>
    public static string? PrototypeOf(Rune rune) => Data.Value.Prototypes.GetValueOrDefault(rune.Value);

    private sealed record Tables(ScriptRange[] Scripts, HashSet<int> OtherIgnorable, Dictionary<int, string> Prototypes);

    private readonly record struct ScriptRange(int First, int Last, string Script);

    private static Tables Load()
    {
        var scripts = new List<ScriptRange>();
        foreach (var (codePoints, value) in Lines("Scripts.txt"))
        {
            var (first, last) = Range(codePoints);
            scripts.Add(new ScriptRange(first, last, string.Intern(value)));
        }

        var ignorable = new HashSet<int>();
        foreach (var (codePoints, value) in Lines("PropList.txt"))
        {
            if (value is "Other_Default_Ignorable_Code_Point" or "Variation_Selector")
            {
                var (first, last) = Range(codePoints);
                for (var c = first; c <= last; c++)
                {
                    ignorable.Add(c);
                }
            }
        }

        var prototypes = new Dictionary<int, string>();
        foreach (var (source, target) in Lines("confusables.txt"))
        {
            prototypes[int.Parse(source, NumberStyles.HexNumber, CultureInfo.InvariantCulture)] = string.Concat(
                target.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(h => char.ConvertFromUtf32(int.Parse(h, NumberStyles.HexNumber, CultureInfo.InvariantCulture))));
        }

        return new Tables([.. scripts.OrderBy(s => s.First)], ignorable, prototypes);
    }

    private static (int First, int Last) Range(string codePoints)
    {
        var dots = codePoints.IndexOf("..", StringComparison.Ordinal);
        return dots < 0
            ? (Hex(codePoints), Hex(codePoints))
            : (Hex(codePoints[..dots]), Hex(codePoints[(dots + 2)..]));
    }

    private static int Hex(string text) => int.Parse(text, NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    /// <summary>The first two fields of each data line of an embedded UCD file (comments and blank lines skipped).</summary>
    private static IEnumerable<(string First, string Second)> Lines(string file)
    {
        using var stream = typeof(UnicodeData).Assembly.GetManifestResourceStream("Unicode." + file)
            ?? throw new InvalidOperationException($"the server was built without its Unicode data file {file}");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        while (reader.ReadLine() is { } line)
        {
            var comment = line.IndexOf('#');
            var data = comment < 0 ? line : line[..comment];
            var fields = data.Split(';');
            if (fields.Length >= 2)
            {
                yield return (fields[0].Trim(), fields[1].Trim());
            }
        }
    }
}
