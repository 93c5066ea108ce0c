using System.Security.Cryptography;

namespace Rpc.Server.Events;

/// <summary>
/// This server process among those sharing the database: a new identity at every start, so a restarted
/// server is a new node and nothing of its previous life (presence claims, gateway sessions) is taken for its own.
/// </summary>
public sealed class ClusterNode
{
    private const string TagAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    /// <summary>The node's identity in bus messages, presence rows and leases.</summary>
    public Guid Id { get; } = Guid.NewGuid();

    /// <summary>A short name of the node that starts the ids of its gateway sessions, so another server can tell a session is not its own.</summary>
    public string Tag { get; } = RandomNumberGenerator.GetString(TagAlphabet, 6);

    /// <summary>Whether other servers may share the database (PostgreSQL); on SQLite one server serves it.</summary>
    public required bool Clustered { get; init; }
}
