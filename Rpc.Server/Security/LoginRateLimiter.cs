using Microsoft.Extensions.Options;
using Rpc.Contracts.Protocol;
using Rpc.Server.Errors;
using Rpc.Server.Events;

namespace Rpc.Server.Security;

/// <summary>
/// Brute-force protection for <c>users.auth</c> and <c>users.changePassword</c>, and a registration limit
/// for <c>users.create</c>. A password check reserves an attempt in three buckets (the (account, address)
/// pair, the account from anywhere, the address for any account) before the password is checked, so neither a correct
/// password nor a parallel burst gets past an empty bucket; a correct password gives the attempts back.
/// One address can empty only its own (username, address) bucket and its address bucket, never the
/// username's shared one, so it cannot lock the owner out from elsewhere. Every charge and refund is
/// published on the bus and mirrored by the other servers sharing a PostgreSQL database, so their
/// limits count the attempts made on any of them (a burst spread over several servers at the same
/// instant can pass by the few milliseconds a notification takes).
/// </summary>
public sealed class LoginRateLimiter : IEventSink
{
    private readonly Guid origin = Guid.NewGuid();
    private readonly IEventBus bus;
    private readonly TokenBucketLimiter perPair;
    private readonly TokenBucketLimiter perAccount;
    private readonly TokenBucketLimiter perAddress;
    private readonly TokenBucketLimiter creates;
    private readonly Lock gate = new();

    public LoginRateLimiter(IOptions<RateLimitOptions> options, TimeProvider clock, IEventBus bus)
    {
        this.bus = bus;
        var o = options.Value;
        perPair = new TokenBucketLimiter(o.LoginPerAccountAndAddress, o.MaxTrackedKeys, clock);
        perAccount = new TokenBucketLimiter(o.LoginPerAccount, o.MaxTrackedKeys, clock);
        perAddress = new TokenBucketLimiter(o.LoginPerAddress, o.MaxTrackedKeys, clock);
        creates = new TokenBucketLimiter(o.CreatePerAddress, o.MaxTrackedKeys, clock);
    }

    /// <summary>
    /// The account key of an existing user: its id, so that every spelling that reaches the account
    /// (fullwidth, mathematical letters, <c>name#1234</c>, any case) draws on the same buckets.
    /// </summary>
    public static string AccountKey(long userId) => "user:" + userId.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The account key of a name no account has: a bounded form of what was sent.</summary>
    public static string UnknownAccountKey(string username) =>
        "name:" + username[..Math.Min(username.Length, 64)].ToLowerInvariant();

    /// <summary>Keys tracked by all the buckets together (bounded by configuration).</summary>
    public int TrackedKeys => perPair.Count + perAccount.Count + perAddress.Count + creates.Count;

    /// <summary>
    /// Reserves a login attempt, or throws the rate-limit error saying when to retry. The attempt counts
    /// as failed unless <see cref="LoginAttempt.Succeeded"/> is called once the password proved right.
    /// </summary>
    /// <param name="usernameKey">The account: <see cref="AccountKey"/> of the user the name resolved to, else <see cref="UnknownAccountKey"/>.</param>
    /// <param name="clientAddress">The client's address.</param>
    public LoginAttempt BeginLogin(string usernameKey, string? clientAddress)
    {
        var address = AddressKey.Of(clientAddress);
        var pair = usernameKey + "\n" + address;
        lock (gate)
        {
            var wait = Max(perPair.RetryAfter(pair), perAccount.RetryAfter(usernameKey), perAddress.RetryAfter(address));
            if (wait > TimeSpan.Zero)
            {
                throw ServiceException.Refused(ErrorData.TooManyLoginAttempts(Seconds(wait)));
            }

            perPair.Take(pair);
            perAccount.Take(usernameKey);
            perAddress.Take(address);
        }

        bus.Publish(new LoginCharge(origin, pair, usernameKey, address, Refund: false));
        return new LoginAttempt(this, pair, usernameKey, address);
    }

    /// <summary>Counts an account creation from <paramref name="clientAddress"/>, or throws the error saying when to retry.</summary>
    public void CountCreate(string? clientAddress)
    {
        var address = AddressKey.Of(clientAddress);
        lock (gate)
        {
            var wait = creates.RetryAfter(address);
            if (wait > TimeSpan.Zero)
            {
                throw ServiceException.Refused(ErrorData.TooManyAccountsCreated(Seconds(wait)));
            }

            creates.Take(address);
        }

        bus.Publish(new CreateCharge(origin, address));
    }

    /// <summary>Mirrors the charges other servers made.</summary>
    public void Deliver(BusMessage message)
    {
        switch (message)
        {
            case LoginCharge login when login.Origin != origin:
                lock (gate)
                {
                    if (login.Refund)
                    {
                        perPair.Return(login.Pair);
                        perAccount.Return(login.Account);
                        perAddress.Return(login.Address);
                    }
                    else
                    {
                        perPair.Take(login.Pair);
                        perAccount.Take(login.Account);
                        perAddress.Take(login.Address);
                    }
                }

                break;
            case CreateCharge create when create.Origin != origin:
                creates.Take(create.Address);
                break;
        }
    }

    private void Refund(LoginAttempt attempt)
    {
        lock (gate)
        {
            perPair.Return(attempt.Pair);
            perAccount.Return(attempt.Account);
            perAddress.Return(attempt.Address);
        }

        bus.Publish(new LoginCharge(origin, attempt.Pair, attempt.Account, attempt.Address, Refund: true));
    }

    private static int Seconds(TimeSpan wait) => Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));

    private static TimeSpan Max(TimeSpan a, TimeSpan b, TimeSpan c) => a > b ? (a > c ? a : c) : (b > c ? b : c);

    /// <summary>A reserved login attempt: counted as failed unless <see cref="Succeeded"/> is called.</summary>
    public sealed class LoginAttempt(LoginRateLimiter limiter, string pair, string account, string address)
    {
        internal string Pair => pair;

        internal string Account => account;

        internal string Address => address;

        /// <summary>The password was right: the attempt does not count.</summary>
        public void Succeeded() => limiter.Refund(this);
    }
}
