using Rpc.Contracts.Protocol;
using Rpc.Server.Errors;

namespace Rpc.Server.Services;

/// <summary>
/// The list convention of the API: <c>limit</c> (default 50, 1 to 100) and an <c>after</c> cursor
/// (a snowflake id; the list continues with ids greater than it), ordered by id.
/// </summary>
public static class Paging
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 100;

    /// <summary>The limit to use, or an application error when it is out of range.</summary>
    public static int Limit(int? limit) =>
        limit switch
        {
            null => DefaultLimit,
            >= 1 and <= MaxLimit => limit.Value,
            _ => throw ServiceException.Refused(ErrorData.LimitRange),
        };
}
