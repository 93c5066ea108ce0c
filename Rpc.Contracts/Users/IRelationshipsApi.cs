using StreamJsonRpc;

namespace Rpc.Contracts.Users;

/// <summary>Friends, friend requests, blocks and the privacy settings that govern them (issue 14, Discord's model).</summary>
public interface IRelationshipsApi
{
    /// <summary>Lists the caller's relationships in user id order: friends, blocks, incoming and outgoing requests.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("users.relationships")]
    Task<IReadOnlyList<Relationship>> RelationshipsAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Sends a friend request, or accepts the user's incoming one; returns the caller's relationship
    /// with the user. Name the user by id or by <c>name#1234</c>, not both.
    /// </summary>
    /// <param name="userId">The user's id.</param>
    /// <param name="username">The user's <c>name#discriminator</c> (or a plain name that only one user has).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("users.relationships.add")]
    Task<Relationship> AddAsync(long? userId = null, string? username = null, CancellationToken cancellationToken = default);

    /// <summary>Blocks a user, ending any friendship or request between the two; the blocked user is not told.</summary>
    /// <param name="userId">The user's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("users.relationships.block")]
    Task<Relationship> BlockAsync(long userId, CancellationToken cancellationToken = default);

    /// <summary>Ends the caller's relationship with a user: unfriends, cancels or declines a request, or unblocks.</summary>
    /// <param name="userId">The user's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("users.relationships.remove")]
    Task<bool> RemoveAsync(long userId, CancellationToken cancellationToken = default);

    /// <summary>Returns the caller's privacy settings.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("users.settings.get")]
    Task<UserSettings> GetSettingsAsync(CancellationToken cancellationToken = default);

    /// <summary>Changes the caller's privacy settings; every field is optional. Returns the settings after the change.</summary>
    /// <param name="allowDmsFromGuildMembers">Whether guild mates who are not friends may open a DM with the caller.</param>
    /// <param name="friendRequestsFrom"><c>everyone</c>, <c>mutual_guilds</c> or <c>nobody</c>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [JsonRpcMethod("users.settings.update")]
    Task<UserSettings> UpdateSettingsAsync(bool? allowDmsFromGuildMembers = null, FriendRequestsFrom? friendRequestsFrom = null, CancellationToken cancellationToken = default);
}
