using Rpc.Contracts.Gateway;
using Microsoft.Extensions.Options;
using Rpc.Contracts.Protocol;
using Rpc.Contracts.Users;
using Rpc.Server.Data;
using Rpc.Server.Security;
using Rpc.Server.Errors;
using Rpc.Server.Events;
using Rpc.Server.Text;

namespace Rpc.Server.Services;

/// <summary>The <c>users.*</c> account methods: registration, login, the caller's own object and logout.</summary>
public sealed class AccountService(
    UserRepository users,
    SessionRepository sessions,
    AccountRegistry registry,
    PresenceService presence,
    AccountRegistration accounts,
    IOptions<RegistrationOptions> registration,
    PasswordHasher hasher,
    Authenticator authenticator,
    ServiceCallAccessor call,
    IEventBus bus,
    LoginRateLimiter rateLimiter,
    TimeProvider clock,
    DiscordAccountRepository discordAccounts,
    UsernameCheckCache checks,
    LoginSessions logins,
    MfaService mfa,
    SelfCache selves) : IAccountsApi
{
    public Task<User> CreateAsync(string username, string password, string? invite = null, CancellationToken cancellationToken = default)
    {
        if (invite is null && registration.Value.InviteOnly)
        {
            throw ServiceException.Refused(ErrorData.InviteRequired);
        }

        return RegisterAsync(username, password, invite, cancellationToken);
    }

    public Task<User> CreateWithInviteAsync(string username, string password, string invite, CancellationToken cancellationToken = default) =>
        RegisterAsync(username, password, invite, cancellationToken);

    private Task<User> RegisterAsync(string username, string password, string? invite, CancellationToken cancellationToken) =>
        accounts.CreateAsync(
            new AccountRequest { Username = username, Password = password, Invite = invite, SelfRegistration = true, ClientAddress = call.Current.ClientAddress, Hashes = call.Current.Hashes },
            null,
            cancellationToken);

    public async Task<AuthResult> AuthAsync(string username, string password, CancellationToken cancellationToken = default)
    {
        var origin = call.Current;
        var hashes = origin.Hashes;
        hashes.Take();

        // The account is found first so that the limits count the account reached, whatever spelling
        // reached it (fullwidth or mathematical letters, name#1234, any case); unknown names count under what was sent.
        var user = await AccountLookup.FindByNameAsync(users, username, registry.UniqueUsernames, ErrorData.UsernameAmbiguous, cancellationToken).ConfigureAwait(false);
        if (user is not null && user.PasswordHash == AccountRegistration.NoPasswordHash)
        {
            throw ServiceException.Refused(ErrorData.BotPasswordLogin);
        }

        var attempt = rateLimiter.BeginLogin(
            user is null ? LoginRateLimiter.UnknownAccountKey(AccountRules.TryKey(username) ?? username) : LoginRateLimiter.AccountKey(user.Id),
            origin.ClientAddress);
        var check = await hasher.VerifyAsync(password, user?.PasswordHash, hashes.AddressKey, cancellationToken).ConfigureAwait(false);
        if (user is null || check == PasswordCheck.Failed)
        {
            throw ServiceException.Refused(ErrorData.InvalidPassword);
        }

        // A rehash is an upgrade that can wait for the next login when this message has no hash left.
        var rehashed = check == PasswordCheck.SucceededNeedsRehash && hashes.TryTake()
            ? await hasher.HashAsync(password, hashes.AddressKey, cancellationToken).ConfigureAwait(false)
            : null;

        if (await mfa.IsOnAsync(user.Id, cancellationToken).ConfigureAwait(false))
        {
            // The password was right: the second step counts its own attempts.
            if (await logins.RefusalAsync(user.Id, cancellationToken).ConfigureAwait(false) is { } refusal)
            {
                throw ServiceException.Refused(refusal);
            }

            attempt.Succeeded();
            return await mfa.IssueTicketAsync(user, cancellationToken).ConfigureAwait(false);
        }

        var result = await logins.StartAsync(user, user.PasswordHash, rehashed, origin, cancellationToken).ConfigureAwait(false);
        attempt.Succeeded();
        return result;
    }

    public Task<bool> CheckAsync(string username, CancellationToken cancellationToken = default) =>
        checks.GetOrLoadAsync(username, (self: this, username), static (s, c) => s.self.IsTakenAsync(s.username, c), cancellationToken).AsTask();

    private async Task<bool> IsTakenAsync(string username, CancellationToken cancellationToken)
    {
        if (AccountRules.TrySplitTag(username, out var name, out var discriminator))
        {
            return AccountRules.TryKey(name) is { } tagKey
                && await users.FindLiveByTagAsync(tagKey, discriminator, cancellationToken).ConfigureAwait(false) is not null;
        }

        if (AccountRules.TryKey(username) is not { } key)
        {
            return false;
        }

        return registry.UniqueUsernames
            ? await users.UsernameExistsAsync(key, cancellationToken).ConfigureAwait(false)
                || await users.SkeletonClaimedAsync(UsernameConfusables.Skeleton(key), cancellationToken).ConfigureAwait(false)
            : (await users.FindLiveByUsernameKeyAsync(key, 1, cancellationToken).ConfigureAwait(false)).Count > 0;
    }

    public async Task<User> SelfAsync(CancellationToken cancellationToken = default)
    {
        var userId = call.Current.RequireCaller().UserId;
        var self = await selves.GetOrLoadAsync(userId, (self: this, userId), static (s, c) => s.self.LoadSelfAsync(s.userId, c), cancellationToken).ConfigureAwait(false);
        return self with { Presence = presence.GetStatus(userId) };
    }

    /// <summary>The caller's own object without its presence: its row, Discord link and two-factor state.</summary>
    private async Task<User> LoadSelfAsync(long userId, CancellationToken cancellationToken)
    {
        var row = await users.FindByIdAsync(userId, cancellationToken).ConfigureAwait(false)
            ?? throw ServiceException.Refused(ErrorData.InvalidToken);
        var discord = await discordAccounts.FindByUserAsync(userId, cancellationToken).ConfigureAwait(false);
        var mfaEnabled = await mfa.IsOnAsync(userId, cancellationToken).ConfigureAwait(false);
        return UserMapper.ToUser(row) with { Discord = discord is null ? null : RoleMapper.ToDiscordAccount(discord), MfaEnabled = mfaEnabled };
    }

    public async Task<User> IdentifyAsync(string token, CancellationToken cancellationToken = default)
    {
        var caller = await authenticator.AuthenticateAsync(token, cancellationToken).ConfigureAwait(false);
        var user = await LoadAsync(caller.UserId, cancellationToken).ConfigureAwait(false);
        call.Current.SignIn(token, caller);
        return user;
    }

    public async Task<bool> LogoutAsync(CancellationToken cancellationToken = default)
    {
        var caller = call.Current.RequireCaller();
        await sessions.RevokeAsync(caller.SessionId, clock.NowMilliseconds(), cancellationToken).ConfigureAwait(false);
        bus.Publish(CloseConnections.Revoked(caller.UserId, caller.SessionId));
        return true;
    }

    /// <summary>The caller's own object, with its real presence.</summary>
    private async Task<User> LoadAsync(long userId, CancellationToken cancellationToken)
    {
        var row = await users.FindByIdAsync(userId, cancellationToken).ConfigureAwait(false)
            ?? throw ServiceException.Refused(ErrorData.InvalidToken);
        return UserMapper.ToUser(row, presence.GetStatus(userId));
    }
}
