using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using NSec.Cryptography;

namespace Rpc.Server.Security;

/// <summary>
/// Argon2id password hashes stored as PHC strings (<c>$argon2id$v=19$m=…,t=…,p=…$salt$hash</c>), so the
/// parameters can be raised later while old hashes still verify. Each hash allocates m KiB, so the
/// number running at once is bounded and a burst of logins waits in the <see cref="HashQueue"/>, which
/// is itself bounded and takes client addresses in turn.
/// Hashes run in libsodium (through NSec) where it takes the parameters (one lane, 16-byte salt, as every
/// hash this server writes): it is about twice as fast as the managed Konscious code, which stays for the
/// rest, and its m KiB are native memory freed when the hash ends, where Konscious left a 19 MiB array per
/// hash on the large-object heap for the next full collection. Hashes run on <see cref="HashThreads"/>, one
/// per slot, never on the thread pool.
/// </summary>
public sealed class PasswordHasher : IDisposable
{
    private const int SaltBytes = 16;
    // libsodium's crypto_pwhash takes exactly this salt length and one lane.
    private const int NativeSaltBytes = 16;
    private const int HashBytes = 32;
    private readonly PasswordOptions options;
    /// <summary>The queue key of hashes no client asked for (the command line, benchmarks' set-up).</summary>
    public const string LocalQueueKey = "local";

    private readonly HashQueue queue;
    private readonly HashThreads threads;
    private readonly Lazy<string> dummyHash;

    public PasswordHasher(IOptions<PasswordOptions> options)
    {
        this.options = options.Value;
        queue = new HashQueue(this.options.EffectiveMaxConcurrentHashes, this.options.MaxQueuedHashes, this.options.MaxQueuedHashesPerAddress, this.options.EffectiveMaxConcurrentHashesPerAddress, LocalQueueKey);
        threads = new HashThreads(this.options.EffectiveMaxConcurrentHashes);
        dummyHash = new Lazy<string>(() => Format(this.options.MemoryKiB, this.options.Iterations, this.options.Parallelism, RandomNumberGenerator.GetBytes(SaltBytes), new byte[HashBytes]));
    }

    /// <summary>Hashes waiting for a slot now.</summary>
    public int Queued => queue.Queued;

    /// <summary>Hashes <paramref name="password"/> with the configured parameters and a random salt.</summary>
    public Task<string> HashAsync(string password, CancellationToken cancellationToken) =>
        HashAsync(password, LocalQueueKey, cancellationToken);

    /// <summary>Hashes <paramref name="password"/>, waiting in <paramref name="queueKey"/>'s line (a client address key).</summary>
    public async Task<string> HashAsync(string password, string queueKey, CancellationToken cancellationToken)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = await ComputeAsync(password, salt, options.MemoryKiB, options.Iterations, options.Parallelism, HashBytes, queueKey, cancellationToken).ConfigureAwait(false);
        return Format(options.MemoryKiB, options.Iterations, options.Parallelism, salt, hash);
    }

    /// <summary>
    /// Verifies <paramref name="password"/> against a stored PHC string. With a null
    /// <paramref name="phc"/> it hashes against a dummy so that an unknown user costs the same time.
    /// </summary>
    public Task<PasswordCheck> VerifyAsync(string password, string? phc, CancellationToken cancellationToken) =>
        VerifyAsync(password, phc, LocalQueueKey, cancellationToken);

    /// <summary>As <see cref="VerifyAsync(string, string?, CancellationToken)"/>, waiting in <paramref name="queueKey"/>'s line.</summary>
    public async Task<PasswordCheck> VerifyAsync(string password, string? phc, string queueKey, CancellationToken cancellationToken)
    {
        if (!TryParse(phc ?? dummyHash.Value, out var m, out var t, out var p, out var salt, out var expected))
        {
            return PasswordCheck.Failed;
        }

        var actual = await ComputeAsync(password, salt, m, t, p, expected.Length, queueKey, cancellationToken).ConfigureAwait(false);
        if (phc is null || !CryptographicOperations.FixedTimeEquals(actual, expected))
        {
            return PasswordCheck.Failed;
        }

        var outdated = m != options.MemoryKiB || t != options.Iterations || p != options.Parallelism;
        return outdated ? PasswordCheck.SucceededNeedsRehash : PasswordCheck.Succeeded;
    }

    /// <summary>Argon2id of <paramref name="password"/> with explicit parameters, within the concurrency bound.</summary>
    public Task<byte[]> ComputeAsync(string password, byte[] salt, int memoryKiB, int iterations, int parallelism, int length, CancellationToken cancellationToken) =>
        ComputeAsync(password, salt, memoryKiB, iterations, parallelism, length, LocalQueueKey, cancellationToken);

    /// <summary>Argon2id with explicit parameters, in a slot taken in <paramref name="queueKey"/>'s turn.</summary>
    public async Task<byte[]> ComputeAsync(string password, byte[] salt, int memoryKiB, int iterations, int parallelism, int length, string queueKey, CancellationToken cancellationToken)
    {
        var queued = System.Diagnostics.Stopwatch.GetTimestamp();
        Operations.ServerMetrics.HashQueued();
        try
        {
            await queue.EnterAsync(queueKey, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Operations.ServerMetrics.HashStarted(System.Diagnostics.Stopwatch.GetElapsedTime(queued));
        }

        try
        {
            return await threads.RunAsync(() => Argon2(password, salt, memoryKiB, iterations, parallelism, length)).ConfigureAwait(false);
        }
        finally
        {
            queue.Release(queueKey);
        }
    }

    public void Dispose() => threads.Dispose();

    private static byte[] Argon2(string password, byte[] salt, int memoryKiB, int iterations, int parallelism, int length)
    {
        var bytes = Encoding.UTF8.GetBytes(password);
        if (parallelism == 1 && salt.Length == NativeSaltBytes && length >= 16)
        {
            var algorithm = PasswordBasedKeyDerivationAlgorithm.Argon2id(new Argon2Parameters
            {
                DegreeOfParallelism = 1,
                MemorySize = memoryKiB,
                NumberOfPasses = iterations,
            });
            return algorithm.DeriveBytes(bytes, salt, length);
        }

        using var argon2 = new Konscious.Security.Cryptography.Argon2id(bytes)
        {
            Salt = salt,
            MemorySize = memoryKiB,
            Iterations = iterations,
            DegreeOfParallelism = parallelism,
        };
        return argon2.GetBytes(length);
    }

    private static string Format(int m, int t, int p, byte[] salt, byte[] hash) =>
        $"$argon2id$v=19$m={m},t={t},p={p}${Unpadded(salt)}${Unpadded(hash)}";

    private static string Unpadded(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=');

    internal static bool TryParse(string phc, out int m, out int t, out int p, out byte[] salt, out byte[] hash)
    {
        m = t = p = 0;
        salt = hash = [];
        var parts = phc.Split('$');
        if (parts is not ["", "argon2id", "v=19", var parameters, var saltText, var hashText])
        {
            return false;
        }

        foreach (var pair in parameters.Split(','))
        {
            var kv = pair.Split('=');
            if (kv.Length != 2 || !int.TryParse(kv[1], out var value))
            {
                return false;
            }

            switch (kv[0])
            {
                case "m": m = value; break;
                case "t": t = value; break;
                case "p": p = value; break;
                default: return false;
            }
        }

        return m > 0 && t > 0 && p > 0 && TryDecode(saltText, out salt) && TryDecode(hashText, out hash);
    }

    private static bool TryDecode(string unpadded, out byte[] bytes)
    {
        var padded = unpadded.PadRight(unpadded.Length + ((4 - (unpadded.Length % 4)) % 4), '=');
        bytes = new byte[Base64.GetMaxDecodedFromUtf8Length(padded.Length)];
        if (!Convert.TryFromBase64String(padded, bytes, out var written))
        {
            return false;
        }

        bytes = bytes[..written];
        return written > 0;
    }
}

/// <summary>The outcome of a password verification.</summary>
public enum PasswordCheck
{
    Failed,
    Succeeded,
    SucceededNeedsRehash,
}

/// <summary>Argon2id parameters (configuration section <c>Passwords</c>); OWASP's minimum by default.</summary>
public sealed class PasswordOptions
{
    public const string Section = "Passwords";

    /// <summary>Memory per hash in KiB. Default 19456 (19 MiB).</summary>
    [System.ComponentModel.DataAnnotations.Range(8192, 4 * 1024 * 1024)]
    public int MemoryKiB { get; set; } = 19456;

    /// <summary>Passes over memory. Default 2.</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 100)]
    public int Iterations { get; set; } = 2;

    /// <summary>Lanes. Default 1.</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 64)]
    public int Parallelism { get; set; } = 1;

    /// <summary>
    /// Most hashes computed at once; 0 (default) means the core count. One more slot kept every core hashing while
    /// a login did its database write (about 5% more logins per second on 2 cores), but under a login flood it let the
    /// flooding address hold two of three slots beside a legitimate login's one, so that login shared the cores with
    /// two hashes instead of one (issue #11's bench).
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(0, 1024)]
    public int MaxConcurrentHashes { get; set; }

    /// <summary>
    /// Most hashes waiting for a slot, from all addresses together. Default 64: about one second of
    /// hashing on 2 cores; beyond it a call fails at once with <c>the server is busy; retry in a moment</c>.
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(1, 100_000)]
    public int MaxQueuedHashes { get; set; } = 64;

    /// <summary>
    /// Most hashes waiting for a slot from one client address (IPv6: one /64). Default 8, so a flood from
    /// one address takes at most 8 places of the line and the other addresses keep theirs.
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(1, 100_000)]
    public int MaxQueuedHashesPerAddress { get; set; } = 8;

    /// <summary>
    /// Most hashes computed at once for one client address; 0 (default) means half of
    /// <see cref="MaxConcurrentHashes"/>, at least one, so a login flood from one address leaves the other slots to
    /// the logins of other addresses. The server's own hashes (command line, set-up) may take every slot.
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(0, 1024)]
    public int MaxConcurrentHashesPerAddress { get; set; }

    /// <summary>Most password hashes one message (a request or a whole batch) may cause. Default 4.</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 1000)]
    public int MaxHashesPerMessage { get; set; } = 4;

    public int EffectiveMaxConcurrentHashes => MaxConcurrentHashes > 0 ? MaxConcurrentHashes : Environment.ProcessorCount;

    public int EffectiveMaxConcurrentHashesPerAddress =>
        MaxConcurrentHashesPerAddress > 0 ? Math.Min(MaxConcurrentHashesPerAddress, EffectiveMaxConcurrentHashes) : Math.Max(1, EffectiveMaxConcurrentHashes / 2);
}
