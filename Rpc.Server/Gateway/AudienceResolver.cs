using Dapper;
using Rpc.Server.Data;

namespace Rpc.Server.Gateway;

/// <summary>Turns an event's audience into the ids of the users who receive it.</summary>
public sealed class AudienceResolver(DbConnectionFactory connections)
{
    public async Task<IReadOnlyCollection<long>> ResolveAsync(EventAudience audience, CancellationToken cancellationToken)
    {
        switch (audience)
        {
            case EventAudience.Users users:
                return users.UserIds;
            case EventAudience.GuildMembers guild:
                {
                    await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
                    return (await connection.QueryAsync<long>(new CommandDefinition(
                        "SELECT user_id FROM guild_members WHERE guild_id = @GuildId", guild, cancellationToken: cancellationToken)).ConfigureAwait(false)).AsList();
                }

            case EventAudience.UserAndObservers subject:
                {
                    const string sql = """
                        SELECT @UserId
                        UNION SELECT other.user_id FROM guild_members mine JOIN guild_members other ON other.guild_id = mine.guild_id WHERE mine.user_id = @UserId
                        UNION SELECT other.user_id FROM channel_recipients mine JOIN channel_recipients other ON other.channel_id = mine.channel_id WHERE mine.user_id = @UserId
                        """;
                    await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
                    return (await connection.QueryAsync<long>(new CommandDefinition(sql, subject, cancellationToken: cancellationToken)).ConfigureAwait(false)).AsList();
                }

            default:
                return [];
        }
    }
}
