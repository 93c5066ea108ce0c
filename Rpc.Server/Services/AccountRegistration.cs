using System.Data.Common;
using Rpc.Contracts.Protocol;
using Rpc.Contracts.Users;
using Rpc.Server.Data;
using Rpc.Server.Security;
using Rpc.Server.Errors;
using Rpc.Server.Text;

namespace Rpc.Server.Services;

/// <summary>What an account is created from.</summary>
public sealed record AccountRequest
{
    public required string Username { get; init; }

    public required string Password { get; init; }

    /// <summary>The email (admin.users.create), already validated; null otherwise.</summary>
    public string? Email { get; init; }

    /// <summary>An instance invite code: one of its uses is spent in the account's transaction.</summary>
    public string? Invite { get; init; }

    /// <summary>Whether this is a user registering itself, limited per client address (staff creations are not).</summary>
    public bool SelfRegistration { get; init; }

    /// <summary>The client address of a self-registration.</summary>
    public string? ClientAddress { get; init; }

    /// <summary>The password hashes left to the request's message; the account's hash is one of them.</summary>
    public required HashAllowance Hashes { get; init; }

    /// <summary>A bot account: the Bot flag and no password (<see cref="Password"/> is ignored, no hash is made).</summary>
    public bool Bot { get; init; }
}

/// <summary>
/// Creates accounts, for <c>users.create</c>, <c>users.createWithInvite</c> and <c>admin.users.create</c>
/// alike: the username and password rules, the hash, and one transaction in which an invite's use is
/// spent and the user inserted, so an invite never counts an account that was not created or the reverse.
/// </summary>
public sealed class AccountRegistration(
    UserRepository users,
    AccountRegistry registry,
    InstanceInviteRepository invites,
    PasswordHasher hasher,
    SnowflakeGenerator ids,
    LoginRateLimiter rateLimiter,
    DbConnectionFactory connections,
    UsernameCheckCache checks,
    TimeProvider clock)
{
    private const int InsertAttempts = 5;
    private const long BotFlag = 1L << (int)UserFlag.Bot;

    /// <summary>A bot's password hash: not a PHC string, so no password ever verifies against it.</summary>
    public const string NoPasswordHash = "!bot";

    /// <summary>
    /// Creates the account; <paramref name="alsoInTransaction"/> runs in the same transaction after
    /// the insert (the admin API's audit record).
    /// </summary>
    public async Task<User> CreateAsync(AccountRequest request, Func<DbConnection, DbTransaction, User, Task>? alsoInTransaction, CancellationToken cancellationToken)
    {
        var normalized = AccountRules.NormalizeUsername(request.Username);
        if (!request.Bot)
        {
            AccountRules.ValidatePassword(request.Password);
        }

        var key = AccountRules.KeyOf(normalized);
        var skeleton = UsernameConfusables.Skeleton(key);

        // Cheap looks first spare an Argon2 hash for a name that is plainly taken or an invite that
        // plainly cannot be used; the unique index and the conditional UPDATE still decide under races.
        if (registry.UniqueUsernames)
        {
            // The skeleton first: the same name has the same skeleton, so a name registered between the two
            // look-ups is still reported as taken, not as a look-alike of itself.
            if (await users.SkeletonClaimedAsync(skeleton, cancellationToken).ConfigureAwait(false))
            {
                throw ServiceException.Refused(await users.UsernameExistsAsync(key, cancellationToken).ConfigureAwait(false)
                    ? ErrorData.UsernameTaken(normalized)
                    : ErrorData.UsernameLookalike(normalized));
            }

            if (await users.UsernameExistsAsync(key, cancellationToken).ConfigureAwait(false))
            {
                throw ServiceException.Refused(ErrorData.UsernameTaken(normalized));
            }
        }
        else if (await users.CountWithUsernameAsync(key, cancellationToken).ConfigureAwait(false) >= AccountRules.DiscriminatorCount)
        {
            throw ServiceException.Refused(ErrorData.DiscriminatorsExhausted(normalized));
        }

        if (request.Invite is { } code)
        {
            if (Unusable(code, await invites.FindAsync(code, cancellationToken).ConfigureAwait(false)) is { } error)
            {
                throw error;
            }
        }

        if (!request.Bot)
        {
            request.Hashes.Take();
        }

        if (request.SelfRegistration)
        {
            // Counted where the work starts (the hash and the row), so rejected input costs the caller nothing.
            rateLimiter.CountCreate(request.ClientAddress);
        }

        var row = new UserRow
        {
            Id = ids.Next(),
            Username = normalized,
            UsernameKey = key,
            UsernameSkeleton = skeleton,
            DisplayName = normalized,
            Email = request.Email,
            Flags = request.Bot ? BotFlag : 0,
            PasswordHash = request.Bot ? NoPasswordHash : await hasher.HashAsync(request.Password, request.Hashes.AddressKey, cancellationToken).ConfigureAwait(false),
            CreatedAt = clock.NowMilliseconds(),
        };
        for (var attempt = 0; attempt < InsertAttempts; attempt++)
        {
            await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
            if (request.Invite is { } invite && !await InstanceInviteRepository.TryUseAsync(connection, transaction, invite, cancellationToken).ConfigureAwait(false))
            {
                throw Unusable(invite, await InstanceInviteRepository.FindAsync(connection, transaction, invite, cancellationToken).ConfigureAwait(false))
                    ?? ServiceException.Refused(ErrorData.InviteUsedUp(invite));
            }

            // Disposing the transaction on any failure rolls the invite's use back with it.
            if (await registry.TryInsertAsync(connection, transaction, row, cancellationToken).ConfigureAwait(false) is not { } stored)
            {
                continue;
            }

            var user = UserMapper.ToUser(stored);
            if (alsoInTransaction is not null)
            {
                await alsoInTransaction(connection, transaction, user).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            checks.Invalidate();
            return user;
        }

        throw new InvalidOperationException($"no free discriminator for {key} after {InsertAttempts} attempts");
    }

    private static ServiceException? Unusable(string code, InstanceInviteRow? invite) =>
        invite is null ? ServiceException.Refused(ErrorData.InviteNotFound(code))
        : invite.MaxUses != -1 && invite.Uses >= invite.MaxUses ? ServiceException.Refused(ErrorData.InviteUsedUp(code))
        : null;

}
