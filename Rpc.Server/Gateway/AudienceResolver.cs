using Dapper;
using Rpc.Server.Data;
using Rpc.Server.Events;

namespace Rpc.Server.Gateway;

/// <summary>Turns an event's audience into the ids of the users who receive it.</summary>
public sealed class AudienceResolver(DbConnectionFactory connections, ObserverRepository observers)
{
    public async Task<IReadOnlyCollection<long>> ResolveAsync(EventAudience audience, CancellationToken cancellationToken)
    {
        switch (audience)
        {
            case EventAudience.Users users:
                return users.UserIds;
            case EventAudience.Observers subject:
                return await observers.ObserversOfAsync(subject.UserId, cancellationToken).ConfigureAwait(false);
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
