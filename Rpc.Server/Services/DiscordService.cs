using Rpc.Contracts.Discord;
using Rpc.Contracts.Protocol;
using Rpc.Server.Data;
using Rpc.Server.Errors;

namespace Rpc.Server.Services;

/// <summary>The staff-only <c>discord.*</c> methods of seed 000: linked Discord accounts.</summary>
public sealed class DiscordService(DiscordLinker linker, DiscordAccountRepository accounts, ServiceCallAccessor call) : IDiscordApi
{
    public Task<DiscordAccount> LinkAsync(long userId, string discordId, string? avatar = null, string? discriminator = null, string? locale = null, bool? mfaEnabled = null, long? flags = null, CancellationToken cancellationToken = default) =>
        linker.LinkAsync(call.Current.RequireCaller().UserId, userId, discordId, avatar, discriminator, locale, mfaEnabled, flags, cancellationToken);

    public async Task<bool> UnlinkAsync(long userId, CancellationToken cancellationToken = default)
    {
        await linker.UnlinkAsync(call.Current.RequireCaller().UserId, userId, cancellationToken).ConfigureAwait(false);
        return true;
    }

    public async Task<IReadOnlyList<DiscordUserEntry>> UsersAsync(int? limit = null, long? after = null, CancellationToken cancellationToken = default)
    {
        var ids = await accounts.ListDiscordIdsAsync(after, Paging.Limit(limit), cancellationToken).ConfigureAwait(false);
        // Seed 000: no linked account at all is an error; an empty page past the last one is not.
        if (ids.Count == 0 && (after is null || !await accounts.AnyAsync(cancellationToken).ConfigureAwait(false)))
        {
            throw ServiceException.Refused(ErrorData.DiscordNoUsers);
        }

        return ids.Select(id => new DiscordUserEntry { DiscordId = id }).ToArray();
    }

    public async Task<bool> CheckAsync(string id, CancellationToken cancellationToken = default) =>
        DiscordRules.TryParseSnowflake(id, out var discordId)
        && await accounts.FindByDiscordIdAsync(discordId, cancellationToken).ConfigureAwait(false) is not null;

    public async Task<DiscordAccount> InfosAsync(string id, CancellationToken cancellationToken = default)
    {
        var discordId = DiscordRules.RequireSnowflake(id, "id");
        var row = await accounts.FindByDiscordIdAsync(discordId, cancellationToken).ConfigureAwait(false)
            ?? throw ServiceException.Refused(ErrorData.DiscordUserNotFound);
        return RoleMapper.ToDiscordAccount(row);
    }
}

/// <summary><c>users.linkDiscord</c>: a user links its own Discord account.</summary>
public sealed class DiscordSelfService(DiscordLinker linker, ServiceCallAccessor call) : IDiscordSelfApi
{
    public Task<DiscordAccount> LinkDiscordAsync(string discordId, string? avatar = null, string? discriminator = null, string? locale = null, bool? mfaEnabled = null, long? flags = null, CancellationToken cancellationToken = default)
    {
        var caller = call.Current.RequireCaller();
        return linker.LinkAsync(caller.UserId, caller.UserId, discordId, avatar, discriminator, locale, mfaEnabled, flags, cancellationToken);
    }
}
