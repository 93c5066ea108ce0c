namespace Rpc.Server.Gateway;

/// <summary>What <see cref="GuildSubscriptions.Add"/> did.</summary>
public enum SubscribeOutcome
{
    /// <summary>The session subscribes to the guild now.</summary>
    Added,

    /// <summary>It already did; nothing changed.</summary>
    AlreadySubscribed,

    /// <summary>The session already subscribes to as many guilds as one may; nothing changed.</summary>
    LimitReached,
}

/// <summary>
/// Which gateway sessions of this server subscribed to which guilds (<c>gateway.guildSubscribe</c>): the
/// audience of a large guild's presence changes. Kept in memory like the sessions themselves; a session's
/// subscriptions last as long as it does (a resume keeps them), end with it, and end for a guild when its
/// user leaves that guild.
/// </summary>
public sealed class GuildSubscriptions
{
    private readonly Lock gate = new();
    private readonly Dictionary<long, HashSet<GatewaySession>> sessionsByGuild = [];
    private readonly Dictionary<GatewaySession, HashSet<long>> guildsBySession = [];

    /// <summary>Subscribes <paramref name="session"/> to <paramref name="guildId"/> unless it already has <paramref name="max"/> subscriptions.</summary>
    public SubscribeOutcome Add(GatewaySession session, long guildId, int max)
    {
        lock (gate)
        {
            if (!guildsBySession.TryGetValue(session, out var guilds))
            {
                guildsBySession[session] = guilds = [];
            }

            if (guilds.Contains(guildId))
            {
                return SubscribeOutcome.AlreadySubscribed;
            }

            if (guilds.Count >= max)
            {
                if (guilds.Count == 0)
                {
                    guildsBySession.Remove(session);
                }

                return SubscribeOutcome.LimitReached;
            }

            guilds.Add(guildId);
            if (!sessionsByGuild.TryGetValue(guildId, out var sessions))
            {
                sessionsByGuild[guildId] = sessions = [];
            }

            sessions.Add(session);
            return SubscribeOutcome.Added;
        }
    }

    /// <summary>Ends <paramref name="session"/>'s subscription to <paramref name="guildId"/>; false when it had none.</summary>
    public bool Remove(GatewaySession session, long guildId)
    {
        lock (gate)
        {
            if (!guildsBySession.TryGetValue(session, out var guilds) || !guilds.Remove(guildId))
            {
                return false;
            }

            if (guilds.Count == 0)
            {
                guildsBySession.Remove(session);
            }

            RemoveFromGuild(session, guildId);
            return true;
        }
    }

    /// <summary>Ends every subscription of <paramref name="session"/> (the session ended).</summary>
    public void RemoveAll(GatewaySession session)
    {
        lock (gate)
        {
            if (guildsBySession.Remove(session, out var guilds))
            {
                foreach (var guildId in guilds)
                {
                    RemoveFromGuild(session, guildId);
                }
            }
        }
    }

    /// <summary>How many sessions of this server subscribe to <paramref name="guildId"/>.</summary>
    public int SubscribersOf(long guildId)
    {
        lock (gate)
        {
            return sessionsByGuild.TryGetValue(guildId, out var sessions) ? sessions.Count : 0;
        }
    }

    /// <summary>Adds the sessions subscribed to any of <paramref name="guildIds"/> to <paramref name="into"/>.</summary>
    public void AddSubscribersOf(IEnumerable<long> guildIds, HashSet<GatewaySession> into)
    {
        lock (gate)
        {
            foreach (var guildId in guildIds)
            {
                if (sessionsByGuild.TryGetValue(guildId, out var sessions))
                {
                    into.UnionWith(sessions);
                }
            }
        }
    }

    private void RemoveFromGuild(GatewaySession session, long guildId)
    {
        if (sessionsByGuild.TryGetValue(guildId, out var sessions) && sessions.Remove(session) && sessions.Count == 0)
        {
            sessionsByGuild.Remove(guildId);
        }
    }
}
