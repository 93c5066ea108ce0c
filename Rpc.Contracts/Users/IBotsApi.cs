using Rpc.Contracts.Protocol;
using StreamJsonRpc;

namespace Rpc.Contracts.Users;

/// <summary>
/// Bot accounts (seed 004's Bot flag): users with no password, owned by the user who made them, that
/// use a token over both transports and the gateway like any user.
/// </summary>
public interface IBotsApi
{
    /// <summary>Makes a bot owned by the caller and returns its user object and token; the token is shown only here and by <c>users.bots.resetToken</c>.</summary>
    /// <param name="username">The bot's username, with the rules of <c>users.create</c>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("users.bots.create")]
    Task<BotToken> CreateAsync(string username, CancellationToken cancellationToken = default);

    /// <summary>The caller's bots, oldest first.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("users.bots.list")]
    Task<IReadOnlyList<User>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>Gives one of the caller's bots a new token: the old one stops working and its connections close with 4004.</summary>
    /// <param name="botId">The bot.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("users.bots.resetToken")]
    Task<BotToken> ResetTokenAsync(long botId, CancellationToken cancellationToken = default);

    /// <summary>Deletes one of the caller's bots, as <c>users.delete</c> deletes an account.</summary>
    /// <param name="botId">The bot.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("users.bots.delete")]
    Task<bool> DeleteAsync(long botId, CancellationToken cancellationToken = default);
}

/// <summary>A bot and its token (<c>users.bots.create</c>, <c>users.bots.resetToken</c>).</summary>
public sealed record BotToken
{
    /// <summary>The bot's user object (flags include 10, Bot).</summary>
    public required User User { get; init; }

    /// <summary>The bot's token: send it as <c>auth</c>, a Bearer header, or to <c>users.identify</c>. It does not expire.</summary>
    public required string Token { get; init; }
}
