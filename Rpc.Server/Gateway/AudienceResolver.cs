using Dapper;
using Microsoft.Extensions.Options;
using Rpc.Server.Data;
using Rpc.Server.Events;
using Rpc.Server.Services;

namespace Rpc.Server.Gateway;

/// <summary>Turns an event's audience into the ids of the users who receive it.</summary>
public sealed class AudienceResolver(DbConnectionFactory connections, ObserverRepository observers, IOptions<LargeGuildOptions> largeGuilds)
{
    /// <summary>
    /// Who gets a presence change of <paramref name="userId"/> (the <see cref="EventAudience.Observers"/> audience):
    /// its observers through small guilds and friendships, and its large guilds, whose subscribed sessions get it.
    /// </summary>
    public Task<PresenceAudience> ResolvePresenceAsync(long userId, CancellationToken cancellationToken) =>
        observers.PresenceAudienceAsync(userId, largeGuilds.Value.LargeThreshold, cancellationToken);

    public async Task<IReadOnlyCollection<long>> ResolveAsync(EventAudience audience, CancellationToken cancellationToken)
    {
        switch (audience)
        {
            case EventAudience.Users users:
                return users.UserIds;
            case EventAudience.Observers subject:
                // The users only; the gateway adds the sessions subscribed to the user's large guilds.
                return (await ResolvePresenceAsync(subject.UserId, cancellationToken).ConfigureAwait(false)).Observers.ToArray();
            case EventAudience.UserAndObservers subject:
                return [subject.UserId, .. await observers.ObserversOfAsync(subject.UserId, cancellationToken).ConfigureAwait(false)];
            case EventAudience.GuildMembers guild:
                {
                    await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
                    return (await connection.QueryAsync<long>(new CommandDefinition(
                        "SELECT user_id FROM guild_members WHERE guild_id = @GuildId", guild, cancellationToken: cancellationToken)).ConfigureAwait(false)).AsList();
                }

            case EventAudience.Staff:
                {
                    // Read at each staff event, not taken from the session's login: a demotion (made by another
                    // process, `manage remove-staff`) stops the staff events at once, and staff events are rare.
                    await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
                    return (await connection.QueryAsync<long>(new CommandDefinition(
                        "SELECT id FROM users WHERE (flags & @staff) <> 0 AND deleted_at IS NULL",
                        new { staff = 1L << (int)Rpc.Contracts.Users.UserFlag.Staff }, cancellationToken: cancellationToken)).ConfigureAwait(false)).AsList();
                }

            default:
                return [];
        }
    }
}
