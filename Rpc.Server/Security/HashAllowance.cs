using Rpc.Contracts.Protocol;
using Rpc.Server.Errors;

namespace Rpc.Server.Security;

/// <summary>
/// The password hashes one JSON-RPC message (a request, or a whole batch) may still start, and the
/// client address they queue under in the <see cref="HashQueue"/>. Each costs the server about 20 MiB
/// and tens of milliseconds for a few bytes sent, so a batch of a hundred logins must not buy a hundred.
/// </summary>
public sealed class HashAllowance(string addressKey, int limit)
{
    private int used;

    /// <summary>The key of the client address (<see cref="Security.AddressKey"/>) whose line the hashes wait in.</summary>
    public string AddressKey => addressKey;

    /// <summary>Spends <paramref name="count"/> hashes, or throws <see cref="ErrorData.TooManyPasswordChecks"/> and spends none.</summary>
    public void Take(int count = 1)
    {
        if (!TryTake(count))
        {
            throw ServiceException.Refused(ErrorData.TooManyPasswordChecks);
        }
    }

    /// <summary>Spends <paramref name="count"/> hashes if that many are left.</summary>
    public bool TryTake(int count = 1)
    {
        while (true)
        {
            var before = Volatile.Read(ref used);
            if (before + count > limit)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref used, before + count, before) == before)
            {
                return true;
            }
        }
    }
}
