using Microsoft.Extensions.Options;
using Rpc.Contracts.Protocol;
using Rpc.Contracts.Users;
using Rpc.Server.Data;
using Rpc.Server.Errors;
using Rpc.Server.Events;
using Rpc.Server.Text;
using Rpc.Server.Security;
using Rpc.Contracts.Gateway;

namespace Rpc.Server.Services;

/// <summary>Profiles and presence: <c>users.get</c>, <c>users.update</c>, <c>users.presence</c>.</summary>
public sealed class ProfileService(
    UserRepository users,
    AccountRegistry registry,
    PresenceService presence,
    DbConnectionFactory connections,
    ServiceCallAccessor call,
    IEventBus bus,
    UsernameCheckCache checks) : IProfilesApi
{
    public async Task<User> GetAsync(long userId, CancellationToken cancellationToken = default)
    {
        var viewerId = call.Current.RequireCaller().UserId;
        var row = await users.FindLiveAsync(userId, cancellationToken).ConfigureAwait(false)
            ?? throw ServiceException.Refused(ErrorData.UnknownUser);
        return UserMapper.ToUser(row, await presence.GetVisibleStatusAsync(viewerId, userId, cancellationToken).ConfigureAwait(false));
    }

    public async Task<User> UpdateAsync(string? username = null, string? discriminator = null, string? displayName = null, string? avatar = null, CancellationToken cancellationToken = default)
    {
        var userId = call.Current.RequireCaller().UserId;

        // Every value is checked before anything is written, so an error changes nothing.
        var newUsername = username is null ? null : AccountRules.NormalizeUsername(username);
        if (discriminator is not null && !AccountRules.IsDiscriminator(discriminator))
        {
            throw ServiceException.Refused(ErrorData.DiscriminatorInvalid);
        }

        var newDisplayName = displayName is null ? null : AccountRules.NormalizeDisplayName(displayName);
        var newAvatar = avatar is null ? null : AccountRules.CheckAvatar(avatar);

        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        var current = await UserRepository.FindLiveAsync(connection, transaction, userId, cancellationToken).ConfigureAwait(false)
            ?? throw ServiceException.Refused(ErrorData.InvalidToken);
        var next = current with
        {
            Username = newUsername ?? current.Username,
            UsernameKey = newUsername is null ? current.UsernameKey : AccountRules.KeyOf(newUsername),
            UsernameSkeleton = newUsername is null ? current.UsernameSkeleton : UsernameConfusables.Skeleton(AccountRules.KeyOf(newUsername)),
            Discriminator = discriminator ?? current.Discriminator,
            DisplayName = newDisplayName ?? current.DisplayName,
            Avatar = avatar is null ? current.Avatar : newAvatar,
        };

        // A new username keeps the user's discriminator when it is free for that name, else takes a free one.
        if (discriminator is null && next.UsernameKey != current.UsernameKey)
        {
            var taken = await UserRepository.TakenDiscriminatorsAsync(connection, transaction, next.UsernameKey, next.UsernameSkeleton!, cancellationToken).ConfigureAwait(false);
            if (taken.Contains(current.Discriminator))
            {
                next = next with
                {
                    Discriminator = AccountRules.PickFreeDiscriminator(taken) ?? throw ServiceException.Refused(ErrorData.DiscriminatorsExhausted(next.Username)),
                };
            }
        }

        if (next == current)
        {
            return UserMapper.ToUser(current, presence.GetStatus(userId));
        }

        var tagChanged = next.UsernameKey != current.UsernameKey || next.Discriminator != current.Discriminator;
        if (tagChanged && next.UsernameSkeleton is null)
        {
            // An account from before skeletons were kept, changing only its discriminator.
            next = next with { UsernameSkeleton = UsernameConfusables.Skeleton(next.UsernameKey) };
        }

        switch (await UserRepository.UpdateProfileAsync(connection, transaction, next, registry.UniqueUsernames, tagChanged, cancellationToken).ConfigureAwait(false))
        {
            case UserWriteOutcome.UsernameTaken:
                throw ServiceException.Refused(ErrorData.UsernameTaken(next.Username));
            case UserWriteOutcome.Lookalike when registry.UniqueUsernames:
                throw ServiceException.Refused(ErrorData.UsernameLookalike(next.Username));
            case UserWriteOutcome.TagTaken or UserWriteOutcome.Lookalike:
                throw ServiceException.Refused(ErrorData.TagTaken(next.Username, next.Discriminator));
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        checks.Invalidate();
        bus.Publish(new DispatchEvent(GatewayEvents.UserUpdate, UserMapper.ToUser(next), new EventAudience.UserAndObservers(userId)));
        return UserMapper.ToUser(next, presence.GetStatus(userId));
    }

    public Task<PresenceStatus> PresenceAsync(PresenceStatus status, CancellationToken cancellationToken = default) =>
        Task.FromResult(presence.SetChosenStatus(call.Current.RequireCaller().UserId, status));
}
