using System.Globalization;
using System.Security.Cryptography;
using Rpc.Contracts.Guilds;
using Rpc.Contracts.Protocol;
using Rpc.Server.Data;
using Rpc.Server.Dispatch;
using Rpc.Server.Gateway;

namespace Rpc.Server.Services;

/// <summary>The <c>guilds.*</c> methods: creating guilds, inviting to them and joining them.</summary>
public sealed class GuildsService(
    GuildRepository guilds,
    UserRepository users,
    SnowflakeGenerator ids,
    CallContextAccessor callContext,
    IEventBus bus,
    TimeProvider clock) : IGuildsApi
{
    public const int NameMinLength = 2;
    public const int NameMaxLength = 100;
    public const int MaxInviteUses = 100;
    public const int MaxInviteAgeSeconds = 7 * 24 * 3600;
    private const int InviteCodeLength = 10;
    private const string InviteAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    /// <summary>The guild object of a row. Features stay empty until instance administration manages them.</summary>
    public static Guild ToGuild(GuildRow row) => new()
    {
        Id = row.Id,
        Name = row.Name,
        OwnerId = row.OwnerId,
        Features = [],
        Unavailable = false,
        MemberCount = row.MemberCount,
    };

    public async Task<Guild> CreateAsync(string name, CancellationToken cancellationToken = default)
    {
        var ownerId = callContext.Current.RequireCaller().UserId;
        var trimmed = name.Trim();
        if (new StringInfo(trimmed).LengthInTextElements is < NameMinLength or > NameMaxLength)
        {
            throw RpcException.App(ErrorData.GuildNameLength);
        }

        var id = ids.Next();
        await guilds.CreateAsync(id, trimmed, ownerId, clock.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken).ConfigureAwait(false);
        var guild = ToGuild(new GuildRow { Id = id, Name = trimmed, OwnerId = ownerId, MemberCount = 1 });
        bus.Publish(new DispatchEvent("GUILD_CREATE", guild, new EventAudience.Users([ownerId])));
        return guild;
    }

    public async Task<Guild> GetAsync(long guildId, CancellationToken cancellationToken = default)
    {
        var userId = callContext.Current.RequireCaller().UserId;
        var row = await guilds.FindForMemberAsync(guildId, userId, cancellationToken).ConfigureAwait(false)
            ?? throw RpcException.App(ErrorData.UnknownGuild);
        return ToGuild(row);
    }

    public async Task<Invite> CreateInviteAsync(long guildId, int maxUses = 0, int maxAge = 86400, CancellationToken cancellationToken = default)
    {
        var userId = callContext.Current.RequireCaller().UserId;
        if (maxUses is < 0 or > MaxInviteUses)
        {
            throw RpcException.App(ErrorData.InviteMaxUsesRange);
        }

        if (maxAge is < 0 or > MaxInviteAgeSeconds)
        {
            throw RpcException.App(ErrorData.InviteMaxAgeRange);
        }

        // Non-members learn nothing about the guild; members who do not own it are told why.
        var guild = await guilds.FindForMemberAsync(guildId, userId, cancellationToken).ConfigureAwait(false)
            ?? throw RpcException.App(ErrorData.UnknownGuild);
        if (guild.OwnerId != userId)
        {
            throw RpcException.App(ErrorData.GuildOwnerOnly);
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
        var userId = callContext.Current.RequireCaller().UserId;
        var (outcome, row) = await guilds.JoinAsync(code, userId, clock.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken).ConfigureAwait(false);
        switch (outcome)
        {
            case JoinOutcome.UnknownInvite:
                throw RpcException.App(ErrorData.UnknownInvite);
            case JoinOutcome.Expired:
                throw RpcException.App(ErrorData.InviteExpired);
            case JoinOutcome.Exhausted:
                throw RpcException.App(ErrorData.InviteExhausted);
            case JoinOutcome.AlreadyMember:
                return ToGuild(row!);
        }

        var guild = ToGuild(row!);
        bus.Publish(new DispatchEvent("GUILD_CREATE", guild, new EventAudience.Users([userId])));
        if (await users.FindByIdAsync(userId, cancellationToken).ConfigureAwait(false) is { } user)
        {
            bus.Publish(new DispatchEvent("GUILD_MEMBER_ADD", new GuildMemberEvent { GuildId = guild.Id, User = UserMapper.ToUser(user) }, new EventAudience.GuildMembers(guild.Id)));
        }

        return guild;
    }
}
