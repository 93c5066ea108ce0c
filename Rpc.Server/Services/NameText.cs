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

    /// <summary>
    /// Whether U+200D (zero width joiner) and U+FE0F (emoji presentation selector) may stand where an emoji
    /// sequence needs them (<see cref="NameText.IsEmojiSequencePart"/>); elsewhere they stay refused.
    /// </summary>
    public bool AllowsEmojiSequences { get; init; }
}

/// <summary>
/// Rules every user-chosen name obeys (usernames, display, guild, group DM and role names). Grapheme
/// limits alone bound nothing in bytes ("a" and 200,000 U+0301 is one grapheme), so each name is also
/// bounded in UTF-16 code units and a grapheme may carry at most <see cref="MaxCombiningMarks"/>
/// combining marks. Control, format and default-ignorable characters (NUL, newlines, bidi overrides,
/// zero-width and Hangul fillers…) are refused before and after NFKC, so nothing invisible or
/// reordering can hide in a name; names that allow emoji keep the joiner and the presentation selector
/// inside a valid emoji sequence (a family, a rainbow flag, a red heart).
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

    /// <summary>
    /// Whether the rune at <paramref name="index"/> of <paramref name="runes"/> is the joiner or presentation selector of
    /// a valid emoji sequence, by UTS #51's basic rules: U+FE0F right after an Emoji character; U+200D between two
    /// Extended_Pictographic characters (the left one may carry its U+FE0F or a skin-tone modifier).
    /// </summary>
    public static bool IsEmojiSequencePart(IReadOnlyList<Rune> runes, int index)
    {
        var rune = runes[index];
        if (rune.Value == 0xFE0F)
        {
            return index > 0 && UnicodeData.IsEmoji(runes[index - 1]);
        }

        if (rune.Value != 0x200D || index == 0 || index == runes.Count - 1 || !UnicodeData.IsExtendedPictographic(runes[index + 1]))
        {
            return false;
        }

        var left = index - 1;
        if (runes[left].Value is 0xFE0F or (>= 0x1F3FB and <= 0x1F3FF) && left > 0)
        {
            left--;
        }

        return UnicodeData.IsExtendedPictographic(runes[left]);
    }

    private static void RefuseInvisible(string text, NameLimits limits)
    {
        List<Rune>? runes = null;
        var index = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            if (IsInvisible(rune) && !(limits.AllowsEmojiSequences && IsEmojiSequencePart(runes ??= [.. text.EnumerateRunes()], index)))
            {
                throw ServiceException.Refused(limits.InvisibleError ?? ErrorData.NameInvisibleCharacters(limits.Field));
            }

            index++;
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
