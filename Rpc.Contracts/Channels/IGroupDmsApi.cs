using StreamJsonRpc;

namespace Rpc.Contracts.Channels;

/// <summary>Managing group DMs, and closing one-to-one DMs (issue 14).</summary>
public interface IGroupDmsApi
{
    /// <summary>Adds one of the caller's friends to a group DM the caller is in; returns the channel.</summary>
    /// <param name="channelId">The group DM.</param>
    /// <param name="userId">The friend to add.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("users.groupDm.addRecipient")]
    Task<Channel> AddRecipientAsync(long channelId, long userId, CancellationToken cancellationToken = default);

    /// <summary>Removes a user from a group DM the caller owns; returns the channel.</summary>
    /// <param name="channelId">The group DM.</param>
    /// <param name="userId">The recipient to remove (not the owner).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("users.groupDm.removeRecipient")]
    Task<Channel> RemoveRecipientAsync(long channelId, long userId, CancellationToken cancellationToken = default);

    /// <summary>Leaves a group DM. An owner's group passes to its longest-standing recipient; an emptied group is deleted.</summary>
    /// <param name="channelId">The group DM.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("users.groupDm.leave")]
    Task<bool> LeaveAsync(long channelId, CancellationToken cancellationToken = default);

    /// <summary>Renames a group DM the caller owns; returns the channel.</summary>
    /// <param name="channelId">The group DM.</param>
    /// <param name="name">The new name, 1 to 100 characters; null removes the name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("users.groupDm.update")]
    Task<Channel> UpdateAsync(long channelId, string? name, CancellationToken cancellationToken = default);

    /// <summary>Hides a one-to-one DM from the caller's list until <c>users.createDm</c> opens it again.</summary>
    /// <param name="channelId">The DM.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("users.closeDm")]
    Task<bool> CloseDmAsync(long channelId, CancellationToken cancellationToken = default);
}
