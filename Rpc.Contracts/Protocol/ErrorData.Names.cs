namespace Rpc.Contracts.Protocol;

/// <summary>The <c>data</c> strings of the rules every name obeys (usernames, display, guild, group DM and role names).</summary>
public static partial class ErrorData
{
    /// <summary>A name longer in UTF-16 code units than its limit (64 for usernames, 200 for the other names).</summary>
    /// <param name="field">The parameter: <c>username</c>, <c>display_name</c>, <c>name</c>.</param>
    /// <param name="maxUnits">The limit in UTF-16 code units.</param>
    public static string NameTooLong(string field, int maxUnits) => $"{field} must be at most {maxUnits} UTF-16 code units";

    /// <summary>A grapheme (a character as shown) of the name carries more combining marks than allowed.</summary>
    /// <param name="field">The parameter.</param>
    /// <param name="maxMarks">The most combining marks on one character (4).</param>
    public static string NameCombiningMarks(string field, int maxMarks) => $"{field} may carry at most {maxMarks} combining marks on one character";

    /// <summary>The name holds a control, format or default-ignorable (invisible) character, before or after NFKC.</summary>
    /// <param name="field">The parameter.</param>
    public static string NameInvisibleCharacters(string field) => $"{field} must not contain control, format or invisible characters";

    /// <summary>A username whose letters come from more than one script (such as Latin with Cyrillic).</summary>
    public const string UsernameScripts = "username must use letters of one script (digits, '_', '.' and '-' go with any)";

    /// <summary>A username whose UTS #39 confusable skeleton is held by another account (<c>аdmin</c> beside <c>admin</c>).</summary>
    /// <param name="username">The name asked for.</param>
    public static string UsernameLookalike(string username) => $"username {username} looks like an existing username";
}
