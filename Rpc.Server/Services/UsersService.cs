using System.Security.Cryptography;
using Rpc.Contracts.Protocol;
using Rpc.Contracts.Users;
using Rpc.Server.Data;
using Rpc.Server.Dispatch;
using Rpc.Server.Security;

namespace Rpc.Server.Services;

/// <summary>The <c>users.*</c> account methods: registration, login, sessions of the caller.</summary>
public sealed class UsersService(
    UserRepository users,
    SessionRepository sessions,
    PasswordHasher hasher,
    SnowflakeGenerator ids,
    Authenticator authenticator,
    CallContextAccessor callContext,
    LoginRateLimiter rateLimiter,
    TimeProvider clock) : IUsersApi
{
    public async Task<User> CreateAsync(string username, string password, CancellationToken cancellationToken = default)
    {
        var normalized = AccountRules.NormalizeUsername(username);
        AccountRules.ValidatePassword(password);
        var key = AccountRules.KeyOf(normalized);

        // A cheap look first spares an Argon2 hash for a name that is plainly taken; the unique
        // index still decides when two registrations race.
        if (await users.UsernameExistsAsync(key, cancellationToken).ConfigureAwait(false))
        {
            throw RpcException.App(ErrorData.UsernameTaken(normalized));
        }

        // Counted where the work starts (the hash and the row), so rejected input costs the caller nothing.
        rateLimiter.CountCreate(callContext.Current.Origin.ClientAddress);
        var row = new UserRow
        {
            Id = ids.Next(),
            Username = normalized,
            UsernameKey = key,
            Discriminator = NewDiscriminator(),
            DisplayName = normalized,
            PasswordHash = await hasher.HashAsync(password, cancellationToken).ConfigureAwait(false),
            CreatedAt = clock.GetUtcNow().ToUnixTimeMilliseconds(),
        };
        if (!await users.TryInsertAsync(row, cancellationToken).ConfigureAwait(false))
        {
            throw RpcException.App(ErrorData.UsernameTaken(normalized));
        }

        return UserMapper.ToUser(row);
    }

    public async Task<AuthResult> AuthAsync(string username, string password, CancellationToken cancellationToken = default)
    {
        var origin = callContext.Current.Origin;
        var key = AccountRules.TryKey(username);
        // Names that cannot exist are still limited, under a bounded form of what was sent.
        var attempt = rateLimiter.BeginLogin(key ?? username[..Math.Min(username.Length, AccountRules.UsernameMaxLength * 2)].ToLowerInvariant(), origin.ClientAddress);
        var user = key is null ? null : await users.FindByUsernameAsync(key, cancellationToken).ConfigureAwait(false);
        var check = await hasher.VerifyAsync(password, user?.PasswordHash, cancellationToken).ConfigureAwait(false);
        if (user is null || check == PasswordCheck.Failed)
        {
            throw RpcException.App(ErrorData.InvalidPassword);
        }

        attempt.Succeeded();

        if (check == PasswordCheck.SucceededNeedsRehash)
        {
            var rehashed = await hasher.HashAsync(password, cancellationToken).ConfigureAwait(false);
            await users.UpdatePasswordHashAsync(user.Id, rehashed, cancellationToken).ConfigureAwait(false);
        }

        var token = TokenService.NewToken();
        var session = new NewSession
        {
            Id = ids.Next(),
            UserId = user.Id,
            TokenHash = TokenService.Hash(token),
            CreatedAt = clock.GetUtcNow().ToUnixTimeMilliseconds(),
            ClientAddress = origin.ClientAddress,
            UserAgent = origin.UserAgent,
        };
        await sessions.InsertAsync(session, cancellationToken).ConfigureAwait(false);
        origin.Connection?.Authenticate(token, new Caller(user.Id, session.Id, user.Flags));
        return new AuthResult { UserId = user.Id, Token = token };
    }

    public async Task<bool> CheckAsync(string username, CancellationToken cancellationToken = default) =>
        AccountRules.TryKey(username) is { } key && await users.UsernameExistsAsync(key, cancellationToken).ConfigureAwait(false);

    public async Task<User> SelfAsync(CancellationToken cancellationToken = default) =>
        await LoadAsync(callContext.Current.RequireCaller().UserId, cancellationToken).ConfigureAwait(false);

    public async Task<User> IdentifyAsync(string token, CancellationToken cancellationToken = default)
    {
        var caller = await authenticator.AuthenticateAsync(token, cancellationToken).ConfigureAwait(false);
        callContext.Current.Origin.Connection?.Authenticate(token, caller);
        return await LoadAsync(caller.UserId, cancellationToken).ConfigureAwait(false);
    }

    public async Task<bool> LogoutAsync(CancellationToken cancellationToken = default)
    {
        var context = callContext.Current;
        var caller = context.RequireCaller();
        await sessions.RevokeAsync(caller.SessionId, clock.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken).ConfigureAwait(false);
        context.Origin.Connection?.Deauthenticate(context.Token!);
        return true;
    }

    private async Task<User> LoadAsync(long userId, CancellationToken cancellationToken)
    {
        var row = await users.FindByIdAsync(userId, cancellationToken).ConfigureAwait(false)
            ?? throw RpcException.App(ErrorData.InvalidToken);
        return UserMapper.ToUser(row);
    }

    private static string NewDiscriminator() => RandomNumberGenerator.GetInt32(1, 10_000).ToString("D4", System.Globalization.CultureInfo.InvariantCulture);
}
