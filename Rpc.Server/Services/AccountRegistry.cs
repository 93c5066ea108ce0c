using Microsoft.Extensions.Options;
using Rpc.Contracts.Protocol;
using Rpc.Server.Data;
using Rpc.Server.Dispatch;

namespace Rpc.Server.Services;

/// <summary>
/// Inserts new accounts with a discriminator still free for their username, under either naming
/// mode of <see cref="AccountOptions"/>. Anything that creates accounts (registration, invites,
/// the CLI) goes through here so the naming rules hold everywhere.
/// </summary>
public sealed class AccountRegistry(DbConnectionFactory connections, IOptions<AccountOptions> options)
{
    private const int Attempts = 5;

    /// <summary>Whether a username belongs to one account only (see <see cref="AccountOptions.UniqueUsernames"/>).</summary>
    public bool UniqueUsernames => options.Value.UniqueUsernames;

    /// <summary>
    /// Inserts <paramref name="row"/> with a random free discriminator and returns the row as stored.
    /// The discriminators in use are read in the insert's transaction and the unique index
    /// <c>users_tag</c> decides under races; a lost race retries with another value.
    /// </summary>
    public async Task<UserRow> InsertAsync(UserRow row, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            var taken = await UserRepository.TakenDiscriminatorsAsync(connection, transaction, row.UsernameKey, cancellationToken).ConfigureAwait(false);
            var discriminator = AccountRules.PickFreeDiscriminator(taken)
                ?? throw RpcException.App(ErrorData.DiscriminatorsExhausted(row.Username));
            var candidate = row with { Discriminator = discriminator };
            switch (await UserRepository.InsertAsync(connection, transaction, candidate, UniqueUsernames, cancellationToken).ConfigureAwait(false))
            {
                case UserWriteOutcome.Done:
                    await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                    return candidate;
                case UserWriteOutcome.UsernameTaken:
                    throw RpcException.App(ErrorData.UsernameTaken(row.Username));
            }
        }

        throw new InvalidOperationException($"no free discriminator for {row.UsernameKey} after {Attempts} attempts");
    }
}
