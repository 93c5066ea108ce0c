using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using Rpc.Contracts.Guilds;
using Rpc.Contracts.Protocol;
using Rpc.Contracts.Users;
using Rpc.Server.Data;
using Rpc.Server.Errors;
using Rpc.Server.Events;
using Rpc.Contracts.Gateway;

namespace Rpc.Server.Services;

/// <summary>The <c>guilds.*</c> methods: creating guilds, inviting to them, joining them and listing their members.</summary>
public sealed class GuildsService(
    GuildRepository guilds,
    UserRepository users,
    SnowflakeGenerator ids,
    ServiceCallAccessor call,
    IEventBus bus,
    DbConnectionFactory connections,
    ObserverRepository observers,
    PresenceService presence,
    Microsoft.Extensions.Options.IOptions<UserCapsOptions> caps,
    TimeProvider clock) : IGuildsApi
{
    public const int NameMinLength = 2;
    public const int NameMaxLength = 100;
    public const int MaxInviteUses = 100;
    public const int MaxInviteAgeSeconds = 7 * 24 * 3600;
    private const int InviteCodeLength = 10;
    private const string InviteAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    /// <summary>Most UTF-16 code units of a guild name.</summary>
    public const int NameMaxUnits = 200;

    private static readonly NameLimits NameRules = new("name", NameMinLength, NameMaxLength, NameMaxUnits, ErrorData.GuildNameLength);

    private static string CheckName(string name) => NameText.Normalize(name, NameRules);

    public async Task<Guild> CreateAsync(string name, string? region = null, CancellationToken cancellationToken = default)
    {
        var ownerId = call.Current.RequireCaller().UserId;
        var trimmed = CheckName(name);
        var id = ids.Next();
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        if (region is not null)
        {
            await VoiceRegionRules.CheckAsync(connection, transaction, region, 0, cancellationToken).ConfigureAwait(false);
        }

        if (await GuildRepository.CountMembershipsAsync(connection, transaction, ownerId, cancellationToken).ConfigureAwait(false) >= caps.Value.GuildsJoined)
        {
            throw ServiceException.Refused(ErrorData.TooManyGuilds(caps.Value.GuildsJoined));
        }

        await GuildRepository.InsertAsync(connection, transaction, id, trimmed, ownerId, region, clock.NowMilliseconds(), cancellationToken).ConfigureAwait(false);
        var guild = GuildMapper.ToGuild((await GuildRepository.FindAsync(connection, transaction, id, cancellationToken).ConfigureAwait(false))!);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        bus.Publish(new DispatchEvent(GatewayEvents.GuildCreate, guild, new EventAudience.Users([ownerId])));
        return guild;
    }

    public async Task<Guild> UpdateAsync(long guildId, string? name = null, string? region = null, CancellationToken cancellationToken = default)
    {
        var userId = call.Current.RequireCaller().UserId;
        if (name is null && region is null)
        {
            throw ServiceException.Refused(ErrorData.GuildUpdateNeedsField);
        }

        var trimmed = name is null ? null : CheckName(name);
        if (await guilds.FindForMemberAsync(guildId, userId, cancellationToken).ConfigureAwait(false) is null)
        {
            throw ServiceException.Refused(ErrorData.UnknownGuild);
        }

        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        var before = await GuildRepository.FindAsync(connection, transaction, guildId, cancellationToken).ConfigureAwait(false)
            ?? throw ServiceException.Refused(ErrorData.UnknownGuild);

        if (before.OwnerId != userId)
        {
            throw ServiceException.Refused(ErrorData.GuildOwnerOnly);
        }

        // "" clears the region; null keeps it.
        var newRegion = region is null ? before.Region : region.Length == 0 ? null : region;
        if (newRegion is not null && newRegion != before.Region)
        {
            await VoiceRegionRules.CheckAsync(connection, transaction, newRegion, before.Features, cancellationToken).ConfigureAwait(false);
        }

        var newName = trimmed ?? before.Name;
        if (newName == before.Name && newRegion == before.Region)
        {
            return GuildMapper.ToGuild(before);
        }

        await GuildRepository.UpdateAsync(connection, transaction, guildId, newName, newRegion, cancellationToken).ConfigureAwait(false);
        var guild = GuildMapper.ToGuild((await GuildRepository.FindAsync(connection, transaction, guildId, cancellationToken).ConfigureAwait(false))!);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        bus.Publish(new DispatchEvent(GatewayEvents.GuildUpdate, guild, new EventAudience.GuildMembers(guildId)));
        return guild;
    }

    public async Task<Guild> GetAsync(long guildId, CancellationToken cancellationToken = default)
    {
        var userId = call.Current.RequireCaller().UserId;
        var row = await guilds.FindForMemberAsync(guildId, userId, cancellationToken).ConfigureAwait(false)
            ?? throw ServiceException.Refused(ErrorData.UnknownGuild);
        return GuildMapper.ToGuild(row);
    }

    public async Task<Invite> CreateInviteAsync(long guildId, int maxUses = 0, int maxAge = 86400, CancellationToken cancellationToken = default)
    {
        var userId = call.Current.RequireCaller().UserId;
        if (maxUses is < 0 or > MaxInviteUses)
        {
            throw ServiceException.Refused(ErrorData.InviteMaxUsesRange);
        }

        if (maxAge is < 0 or > MaxInviteAgeSeconds)
        {
            throw ServiceException.Refused(ErrorData.InviteMaxAgeRange);
        }

        // Non-members learn nothing about the guild; members who do not own it are told why.
        var guild = await guilds.FindForMemberAsync(guildId, userId, cancellationToken).ConfigureAwait(false)
            ?? throw ServiceException.Refused(ErrorData.UnknownGuild);
        if (guild.OwnerId != userId)
        {
            throw ServiceException.Refused(ErrorData.GuildOwnerOnly);
        }

        var now = clock.GetUtcNow();
        while (true)
        {
            var invite = new InviteRow
            {
                Code = RandomNumberGenerator.GetString(InviteAlphabet, InviteCodeLength),
                GuildId = guildId,
                InviterId = userId,
                MaxUses = maxUses,
                CreatedAt = now.ToUnixTimeMilliseconds(),
                ExpiresAt = maxAge == 0 ? null : now.AddSeconds(maxAge).ToUnixTimeMilliseconds(),
            };

            // 62^10 codes make a clash practically impossible; the primary key still decides.
            if (await guilds.TryInsertInviteAsync(invite, cancellationToken).ConfigureAwait(false))
            {
                return new Invite
                {
                    Code = invite.Code,
                    GuildId = guildId,
                    MaxUses = maxUses,
                    Uses = 0,
                    ExpiresAt = invite.ExpiresAt is { } expires ? DateTimeOffset.FromUnixTimeMilliseconds(expires) : null,
                };
            }
        }
    }

    public async Task<Guild> JoinAsync(string code, CancellationToken cancellationToken = default)
    {
        var userId = call.Current.RequireCaller().UserId;
        var (outcome, row) = await guilds.JoinAsync(code, userId, clock.NowMilliseconds(), caps.Value.GuildsJoined, cancellationToken).ConfigureAwait(false);
        switch (outcome)
        {
            case JoinOutcome.TooManyGuilds:
                throw ServiceException.Refused(ErrorData.TooManyGuilds(caps.Value.GuildsJoined));
            case JoinOutcome.UnknownInvite:
                throw ServiceException.Refused(ErrorData.UnknownInvite);
            case JoinOutcome.Expired:
                throw ServiceException.Refused(ErrorData.InviteExpired);
            case JoinOutcome.Exhausted:
                throw ServiceException.Refused(ErrorData.InviteExhausted);
            case JoinOutcome.AlreadyMember:
                return GuildMapper.ToGuild(row!);
        }

        var guild = GuildMapper.ToGuild(row!);
        bus.Publish(new DispatchEvent(GatewayEvents.GuildCreate, guild, new EventAudience.Users([userId])));
        if (await users.FindByIdAsync(userId, cancellationToken).ConfigureAwait(false) is { } user)
        {
            bus.Publish(new DispatchEvent(GatewayEvents.GuildMemberAdd, new GuildMemberEvent { GuildId = guild.Id, User = UserMapper.ToUser(user) }, new EventAudience.GuildMembers(guild.Id)));
        }

        return guild;
    }

    public async Task<IReadOnlyList<GuildMember>> MembersAsync(long guildId, int? limit = null, long? after = null, CancellationToken cancellationToken = default)
    {
        var userId = call.Current.RequireCaller().UserId;
        var pageSize = Paging.Limit(limit);
        if (await guilds.FindForMemberAsync(guildId, userId, cancellationToken).ConfigureAwait(false) is null)
        {
            throw ServiceException.Refused(ErrorData.UnknownGuild);
        }

        var page = await guilds.ListMembersAsync(guildId, after, pageSize, cancellationToken).ConfigureAwait(false);
        // Guild mates observe each other but across a block, where each looks OFFLINE to the other (as an invisible
        // user does: a missing status would tell the blocked user of the block). One read of the caller's blocks
        // covers the page.
        var blocked = await observers.BlockedEitherWayAsync(userId, cancellationToken).ConfigureAwait(false);
        return page.Select(member => new GuildMember
        {
            User = UserMapper.ToUser(member.User, blocked.Contains(member.User.Id) ? PresenceStatus.Offline : PresenceService.Project(userId, member.User.Id, presence.GetStatus(member.User.Id))),
            JoinedAt = DateTimeOffset.FromUnixTimeMilliseconds(member.JoinedAt),
        }).ToArray();
    }
}
