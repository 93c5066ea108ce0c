using System.Text;

namespace Rpc.Server.Text;

/// <summary>
/// The UTS #39 defences for usernames, on the Unicode data in <see cref="UnicodeData"/>: a username is
/// written in one script, and no two accounts hold names with the same confusable skeleton, so
/// <c>аdmin</c> (Cyrillic а) or <c>рауpal</c> cannot pass for <c>admin</c> or <c>paypal</c>.
/// </summary>
public static class UsernameConfusables
{
    /// <summary>
    /// Whether the letters of <paramref name="name"/> come from one script. Common (digits, '_', '.',
    /// '-') and Inherited characters go with any script, and Han goes with Hiragana and Katakana
    /// (Japanese), Hangul (Korean) or Bopomofo, as UTS #39's augmented script sets have it.
    /// </summary>
    public static bool IsSingleScript(string name)
    {
        HashSet<string>? common = null;
        foreach (var rune in name.EnumerateRunes())
        {
            var script = UnicodeData.ScriptOf(rune);
            if (script is "Common" or "Inherited")
            {
                continue;
            }

            if (script == UnicodeData.UnknownScript)
            {
                return false;
            }

            var augmented = Augmented(script);
            if (common is null)
            {
                common = [.. augmented];
            }
            else
            {
                common.IntersectWith(augmented);
                if (common.Count == 0)
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>
    /// The UTS #39 skeleton of a username key (NFKC, lower-cased): NFD, default-ignorable characters
    /// dropped, each character replaced by its confusables.txt prototype, NFD again. Two names with the
    /// same skeleton look alike.
    /// </summary>
    public static string Skeleton(string usernameKey)
    {
        var mapped = new StringBuilder(usernameKey.Length);
        foreach (var rune in usernameKey.Normalize(NormalizationForm.FormD).EnumerateRunes())
        {
            if (UnicodeData.IsDefaultIgnorable(rune))
            {
                continue;
            }

            if (UnicodeData.PrototypeOf(rune) is { } prototype)
            {
                mapped.Append(prototype);
            }
            else
            {
                mapped.Append(rune.ToString());
            }
        }

        return mapped.ToString().Normalize(NormalizationForm.FormD);
    }

    private static string[] Augmented(string script) => script switch
    {
        "Han" => ["Han", "Jpan", "Kore", "Hanb"],
        "Hiragana" or "Katakana" => [script, "Jpan"],
        "Hangul" => [script, "Kore"],
        "Bopomofo" => [script, "Hanb"],
        _ => [script],
    };
}
