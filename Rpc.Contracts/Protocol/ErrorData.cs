namespace Rpc.Contracts.Protocol;

/// <summary>
/// The <c>data</c> strings of application errors (code -32603). They are part of the API: clients
/// may match on them, and methods.md lists which method returns which.
/// </summary>
public static partial class ErrorData
{
    /// <summary>users.create: the name is taken (seed 001's exact text).</summary>
    public static string UsernameTaken(string username) => $"User with username {username} already exists";

    /// <summary>users.auth: unknown user or wrong password (seed 001's exact text; the two are not told apart).</summary>
    public const string InvalidPassword = "invalid password";

    /// <summary>The method needs a token and none was sent.</summary>
    public const string AuthenticationRequired = "authentication required: send a token as the auth member or an Authorization: Bearer header";

    /// <summary>The token sent is unknown, revoked or malformed.</summary>
    public const string InvalidToken = "invalid or revoked token";

    /// <summary>The method needs the Staff flag.</summary>
    public const string StaffOnly = "only staff may call this method";

    /// <summary>Username rule: length.</summary>
    public const string UsernameLength = "username must be between 2 and 32 characters";

    /// <summary>Username rule: characters.</summary>
    public const string UsernameCharacters = "username may contain only letters, digits, '_', '.' and '-'";

    /// <summary>Password rule: length.</summary>
    public const string PasswordLength = "password must be between 8 and 128 characters";

    /// <summary>Password rule: not only white space.</summary>
    public const string PasswordBlank = "password must not be only white space";

    /// <summary>Paging: <c>limit</c> out of range.</summary>
    public const string LimitRange = "limit must be between 1 and 100";

    /// <summary>
    /// The database did not answer in time (a lock held past <c>Database:BusyTimeoutSeconds</c>, or the
    /// database server unreachable); nothing was changed, so the call may simply be sent again.
    /// </summary>
    public const string DatabaseBusy = "the database is busy or unavailable; retry in a moment";

    /// <summary>An unexpected server fault; the id lets operators find the log entry.</summary>
    public static string Unexpected(string correlationId) => $"unexpected server error; correlation id {correlationId}";
}
