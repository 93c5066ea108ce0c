using System.Globalization;
using System.Text;
using Rpc.Contracts.Protocol;
using Rpc.Server.Errors;
using Rpc.Server.Text;

namespace Rpc.Server.Services;

/// <summary>
/// The limits of one kind of name: its field name in errors, grapheme range, UTF-16 bound and its
/// length error; optionally its own errors for invisible characters and for white space only.
/// </summary>
public sealed record NameLimits(string Field, int MinGraphemes, int MaxGraphemes, int MaxUnits, string LengthError)
{
    /// <summary>The error for a control, format or invisible character, when the field has its own.</summary>
    public string? InvisibleError { get; init; }

    /// <summary>The error for a name that is only white space, when the field has its own.</summary>
    public string? BlankError { get; init; }
}

/// <summary>
/// Rules every user-chosen name obeys (usernames, display, guild, group DM and role names). Grapheme
/// limits alone bound nothing in bytes ("a" and 200,000 U+0301 is one grapheme), so each name is also
/// bounded in UTF-16 code units and a grapheme may carry at most <see cref="MaxCombiningMarks"/>
/// combining marks. Control, format and default-ignorable characters (NUL, newlines, bidi overrides,
/// zero-width and Hangul fillers…) are refused before and after NFKC, so nothing invisible or
/// reordering can hide in a name.
/// </summary>
public static class NameText
{
    /// <summary>Most combining marks (Mn, Mc, Me) on one grapheme cluster.</summary>
    public const int MaxCombiningMarks = 4;

    // NFKC may shorten a text (composition) but costs time in its length: anything this much longer
    // than the limit is refused before normalizing.
    private const int PreNormalizationFactor = 4;

    /// <summary>NFKC of <paramref name="text"/>, trimmed when <paramref name="trim"/>, or the error of the rule it breaks.</summary>
    public static string Normalize(string text, NameLimits limits, bool trim = true)
    {
        if (text.Length > limits.MaxUnits * PreNormalizationFactor)
        {
            throw ServiceException.Refused(ErrorData.NameTooLong(limits.Field, limits.MaxUnits));
        }

        RefuseInvisible(text, limits);
        string normalized;
        try
        {
            normalized = text.Normalize(NormalizationForm.FormKC);
        }
        catch (ArgumentException)
        {
            // Normalization refuses invalid UTF-16 (lone surrogates).
            throw ServiceException.Refused(limits.InvisibleError ?? ErrorData.NameInvisibleCharacters(limits.Field));
        }

        if (trim)
        {
            normalized = normalized.Trim();
            if (normalized.Length == 0 && text.Length > 0 && limits.BlankError is { } blank)
            {
                throw ServiceException.Refused(blank);
            }
        }

        RefuseInvisible(normalized, limits);
        if (normalized.Length > limits.MaxUnits)
        {
            throw ServiceException.Refused(ErrorData.NameTooLong(limits.Field, limits.MaxUnits));
        }

        var graphemes = 0;
        for (var index = 0; index < normalized.Length; graphemes++)
        {
            var length = StringInfo.GetNextTextElementLength(normalized, index);
            if (CombiningMarks(normalized.AsSpan(index, length)) > MaxCombiningMarks)
            {
                throw ServiceException.Refused(ErrorData.NameCombiningMarks(limits.Field, MaxCombiningMarks));
            }

            index += length;
        }

        if (graphemes < limits.MinGraphemes || graphemes > limits.MaxGraphemes)
        {
            throw ServiceException.Refused(limits.LengthError);
        }

        return normalized;
    }

    /// <summary>Whether <paramref name="rune"/> is a control (Cc), format (Cf) or default-ignorable character.</summary>
    public static bool IsInvisible(Rune rune) =>
        Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format || UnicodeData.IsDefaultIgnorable(rune);

    private static void RefuseInvisible(string text, NameLimits limits)
    {
        foreach (var rune in text.EnumerateRunes())
        {
            if (IsInvisible(rune))
            {
                throw ServiceException.Refused(limits.InvisibleError ?? ErrorData.NameInvisibleCharacters(limits.Field));
            }
        }
    }

    private static int CombiningMarks(ReadOnlySpan<char> cluster)
    {
        var marks = 0;
        foreach (var rune in cluster.EnumerateRunes())
        {
            if (Rune.GetUnicodeCategory(rune) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark)
            {
                marks++;
            }
        }

        return marks;
    }
}
