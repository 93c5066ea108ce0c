using System.Data.Common;
using Microsoft.Extensions.Options;
using Rpc.Contracts.Protocol;
using Rpc.Server.Data;
using Rpc.Server.Errors;

namespace Rpc.Server.Services;

/// <summary>
/// Inserts new accounts with a discriminator still free for their username, under either naming
/// mode of <see cref="AccountOptions"/>. Anything that creates accounts (registration, invites,
/// the CLI) goes through here so the naming rules hold everywhere.
/// </summary>
public sealed class AccountRegistry(IOptions<AccountOptions> options)
{
    /// <summary>Whether a username belongs to one account only (see <see cref="AccountOptions.UniqueUsernames"/>).</summary>
    public bool UniqueUsernames => options.Value.UniqueUsernames;

    /// <summary>
    /// Inserts <paramref name="row"/> in the caller's transaction with a random discriminator still
    /// free for its username, and returns the row as stored; null when a racing registration took that
    /// username#discriminator first (the caller retries in a new transaction). The unique indexes decide.
    /// </summary>
    public async Task<UserRow?> TryInsertAsync(DbConnection connection, DbTransaction transaction, UserRow row, CancellationToken cancellationToken)
    {
        var taken = await UserRepository.TakenDiscriminatorsAsync(connection, transaction, row.UsernameKey, row.UsernameSkeleton!, cancellationToken).ConfigureAwait(false);
        var discriminator = AccountRules.PickFreeDiscriminator(taken)
            ?? throw ServiceException.Refused(ErrorData.DiscriminatorsExhausted(row.Username));
        var candidate = row with { Discriminator = discriminator };
        return await UserRepository.InsertAsync(connection, transaction, candidate, UniqueUsernames, cancellationToken).ConfigureAwait(false) switch
        {
            UserWriteOutcome.Done => candidate,
            UserWriteOutcome.UsernameTaken => throw ServiceException.Refused(ErrorData.UsernameTaken(row.Username)),
            UserWriteOutcome.Lookalike when UniqueUsernames => throw ServiceException.Refused(ErrorData.UsernameLookalike(row.Username)),
            _ => null,
        };
    }
}
