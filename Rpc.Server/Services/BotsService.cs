using Microsoft.Extensions.Options;
using Rpc.Contracts.Gateway;
using Rpc.Contracts.Protocol;
using Rpc.Contracts.Users;
using Rpc.Server.Data;
using Rpc.Server.Errors;
using Rpc.Server.Events;
using Rpc.Server.Security;

namespace Rpc.Server.Services;

/// <summary>
/// <c>users.bots.*</c>: bot accounts owned by a user. A bot is created like an account (same name
/// rules, same unique indexes) with the Bot flag and no password, plus a <c>bots</c> row and a token
/// that does not expire, all in one transaction that also counts the owner's bots against
/// <see cref="UserCapsOptions.BotsPerOwner"/>.
/// </summary>
public sealed class BotsService(
    AccountRegistration accounts,
    AccountDeletion deletion,
    DbConnectionFactory connections,
    SnowflakeGenerator ids,
    IEventBus events,
    ServiceCallAccessor call,
    IOptions<UserCapsOptions> caps,
    TimeProvider clock) : IBotsApi
{
    public async Task<BotToken> CreateAsync(string username, CancellationToken cancellationToken = default)
    {
        var context = call.Current;
        var owner = context.RequireCaller();
        if ((owner.Flags & (1L << (int)UserFlag.Bot)) != 0)
        {
            throw ServiceException.Refused(ErrorData.BotsCannotOwnBots);
        }

        var max = caps.Value.BotsPerOwner;
        string? token = null;
        var request = new AccountRequest { Username = username, Password = "", Bot = true, Hashes = context.Hashes };
        var user = await accounts.CreateAsync(request, async (connection, transaction, bot) =>
        {
            if (await BotRepository.CountLiveAsync(connection, transaction, owner.UserId, cancellationToken).ConfigureAwait(false) >= max)
            {
                throw ServiceException.Refused(ErrorData.TooManyBots(max));
            }

            var now = clock.NowMilliseconds();
            await BotRepository.AddAsync(connection, transaction, bot.Id, owner.UserId, now, cancellationToken).ConfigureAwait(false);
            token = await NewTokenAsync(connection, transaction, bot.Id, now, cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        return new BotToken { User = user, Token = token! };
    }

    public async Task<IReadOnlyList<User>> ListAsync(CancellationToken cancellationToken = default)
    {
        var owner = call.Current.RequireCaller();
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var bots = await BotRepository.ListLiveAsync(connection, null, owner.UserId, cancellationToken).ConfigureAwait(false);
        return bots.Select(b => UserMapper.ToUser(b)).ToArray();
    }

    public async Task<BotToken> ResetTokenAsync(long botId, CancellationToken cancellationToken = default)
    {
        var owner = call.Current.RequireCaller();
        var now = clock.NowMilliseconds();
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        if (!await BotRepository.IsLiveBotOfAsync(connection, transaction, botId, owner.UserId, cancellationToken).ConfigureAwait(false))
        {
            throw ServiceException.Refused(ErrorData.BotNotFound(botId));
        }

        if (await AccountStateRepository.FindSuspensionAsync(connection, transaction, botId, now, cancellationToken).ConfigureAwait(false) is { } suspension)
        {
            throw ServiceException.Refused(AccountDisables.Refusal(suspension));
        }

        var ended = await AccountStateRepository.RevokeAllAsync(connection, transaction, botId, now, cancellationToken).ConfigureAwait(false);
        var token = await NewTokenAsync(connection, transaction, botId, now, cancellationToken).ConfigureAwait(false);
        var bot = (await UserAdministration.FindByIdAsync(connection, transaction, botId, cancellationToken).ConfigureAwait(false))!;
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        foreach (var sessionId in ended)
        {
            events.Publish(CloseConnections.Revoked(botId, sessionId));
        }

        return new BotToken { User = UserMapper.ToUser(bot), Token = token };
    }

    public async Task<bool> DeleteAsync(long botId, CancellationToken cancellationToken = default)
    {
        var owner = call.Current.RequireCaller();
        await using (var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!await BotRepository.IsLiveBotOfAsync(connection, null, botId, owner.UserId, cancellationToken).ConfigureAwait(false))
            {
                throw ServiceException.Refused(ErrorData.BotNotFound(botId));
            }
        }

        await deletion.DeleteAsync(botId, owner.UserId, ErrorData.CannotDeleteStaff, cancellationToken).ConfigureAwait(false);
        return true;
    }

    private async Task<string> NewTokenAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction, long botId, long now, CancellationToken cancellationToken)
    {
        var token = TokenService.NewToken();
        var origin = call.Current;
        await SessionRepository.InsertAsync(connection, transaction, new NewSession
        {
            Id = ids.Next(),
            UserId = botId,
            TokenHash = TokenService.Hash(token),
            CreatedAt = now,
            ClientAddress = origin.ClientAddress,
            UserAgent = origin.UserAgent,
            NeverExpires = true,
        }, cancellationToken).ConfigureAwait(false);
        return token;
    }
}
