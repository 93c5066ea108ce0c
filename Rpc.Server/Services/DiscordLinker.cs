using Rpc.Contracts.Discord;
using Rpc.Contracts.Protocol;
using Rpc.Server.Audit;
using Rpc.Server.Data;
using Rpc.Server.Errors;
using Rpc.Server.Events;

namespace Rpc.Server.Services;

/// <summary>Links and unlinks Discord accounts, for staff (<c>discord.link</c>) and for users themselves (<c>users.linkDiscord</c>).</summary>
public sealed class DiscordLinker(DbConnectionFactory connections, AuditLog audit, TimeProvider clock, IEventBus bus)
{
    public const string LinkAction = "discord.link";
    public const string UnlinkAction = "discord.unlink";

    public async Task<DiscordAccount> LinkAsync(long actorId, long userId, string discordId, string? avatar, string? discriminator, string? locale, bool? mfaEnabled, long? flags, CancellationToken cancellationToken)
    {
        var id = DiscordRules.RequireSnowflake(discordId, "discord_id");
        DiscordRules.ValidateProfile(avatar, discriminator, locale, flags);
        var row = new DiscordAccountRow
        {
            UserId = userId,
            DiscordId = id,
            Avatar = avatar,
            Discriminator = discriminator,
            Locale = locale,
            MfaEnabled = mfaEnabled == true ? 1 : 0,
            Flags = flags ?? 0,
            LinkedAt = clock.NowMilliseconds(),
        };

        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        if (!await RoleRepository.UserExistsAsync(connection, transaction, userId, cancellationToken).ConfigureAwait(false))
        {
            throw ServiceException.Refused(ErrorData.SeedUserNotFound);
        }

        var before = await DiscordAccountRepository.FindByUserAsync(connection, transaction, userId, cancellationToken).ConfigureAwait(false);
        if (!await DiscordAccountRepository.TryUpsertAsync(connection, transaction, row, cancellationToken).ConfigureAwait(false))
        {
            throw ServiceException.Refused(ErrorData.DiscordIdTaken);
        }

        var after = RoleMapper.ToDiscordAccount(row);
        await audit.RecordAsync(connection, transaction, actorId, LinkAction, "user", userId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            before is null ? null : RoleMapper.ToDiscordAccount(before), after, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        bus.Publish(new UserChanged(userId));
        return after;
    }

    public async Task UnlinkAsync(long actorId, long userId, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        if (!await RoleRepository.UserExistsAsync(connection, transaction, userId, cancellationToken).ConfigureAwait(false))
        {
            throw ServiceException.Refused(ErrorData.SeedUserNotFound);
        }

        var before = await DiscordAccountRepository.FindByUserAsync(connection, transaction, userId, cancellationToken).ConfigureAwait(false);
        if (before is null || !await DiscordAccountRepository.DeleteAsync(connection, transaction, userId, cancellationToken).ConfigureAwait(false))
        {
            throw ServiceException.Refused(ErrorData.DiscordNotLinked);
        }

        await audit.RecordAsync(connection, transaction, actorId, UnlinkAction, "user", userId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            RoleMapper.ToDiscordAccount(before), null, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        bus.Publish(new UserChanged(userId));
    }
}
