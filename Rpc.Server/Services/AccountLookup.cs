using Rpc.Server.Data;
using Rpc.Server.Errors;

namespace Rpc.Server.Services;

/// <summary>The account a name names, for a login and for a friend request alike.</summary>
public static class AccountLookup
{
    /// <summary>
    /// <c>name#1234</c> exactly, else the account with that name: with unique usernames the one that holds
    /// it, else the one live account that has it; a plain name several accounts share is refused with
    /// <paramref name="ambiguous"/> rather than guessed. Null when no account has the name.
    /// </summary>
    public static async Task<UserRow?> FindByNameAsync(UserRepository users, string username, bool uniqueUsernames, string ambiguous, CancellationToken cancellationToken)
    {
        if (AccountRules.TrySplitTag(username, out var name, out var discriminator))
        {
            return AccountRules.TryKey(name) is { } tagKey
                ? await users.FindLiveByTagAsync(tagKey, discriminator, cancellationToken).ConfigureAwait(false)
                : null;
        }

        if (AccountRules.TryKey(username) is not { } key)
        {
            return null;
        }

        if (uniqueUsernames)
        {
            return await users.FindByUsernameAsync(key, cancellationToken).ConfigureAwait(false);
        }

        var matches = await users.FindLiveByUsernameKeyAsync(key, 2, cancellationToken).ConfigureAwait(false);
        return matches.Count > 1 ? throw ServiceException.Refused(ambiguous) : matches.FirstOrDefault();
    }
}
