using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.ObjectPool;
using Nerdbank.Streams;

namespace Rpc.Server.Dispatch;

/// <summary>
/// The buffers and JSON writers every call would otherwise allocate (issue #18): a reply's writer, an HTTP
/// body's <see cref="Sequence{T}"/> and an HTTP reply's contiguous buffer, rented per message and returned when it is answered.
/// </summary>
public static class PooledBuffers
{
    /// <summary>How replies are written: relaxed escaping (the reply is JSON, not HTML), no validation (the writer is ours).</summary>
    public static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    // A sequence that grew past this (a large batch) goes back to the GC rather than pinning its segments in the pool.
    private const long MaxPooledSequenceBytes = 64 * 1024;

    // A reply buffer keeps its array while cached (no ArrayPool round trip per call); one grown past this is dropped.
    private const int MaxCachedReplyBytes = 16 * 1024;

    // A returned writer points here, so it holds no reference to the buffer it last wrote to.
    private static readonly IBufferWriter<byte> Nowhere = new ArrayBufferWriter<byte>(1);

    // One reply buffer and one writer per thread, as System.Text.Json caches its own writers: a request takes them
    // and gives them back without the shared pool's interlocked exchanges and queue (issue #18). Given back on
    // another thread after an await, they land in that thread's slot; a full slot lets the older one go.
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? cachedReply;

    [ThreadStatic]
    private static Utf8JsonWriter? cachedWriter;

    private static readonly ObjectPool<Sequence<byte>> Sequences =
        new DefaultObjectPool<Sequence<byte>>(new SequencePolicy(), Environment.ProcessorCount * 16);

    /// <summary>An empty sequence drawing its segments from <see cref="ArrayPool{T}.Shared"/>.</summary>
    public static Sequence<byte> RentSequence() => Sequences.Get();

    public static void Return(Sequence<byte> sequence) => Sequences.Return(sequence);

    /// <summary>An empty contiguous buffer for a reply written out in one piece.</summary>
    public static ArrayBufferWriter<byte> RentReply()
    {
        var reply = cachedReply ?? new ArrayBufferWriter<byte>(256);
        cachedReply = null;
        return reply;
    }

    public static void Return(ArrayBufferWriter<byte> reply)
    {
        if (reply.Capacity <= MaxCachedReplyBytes)
        {
            // Not cleared: the next reply overwrites what it uses and reads nothing it did not write.
            reply.ResetWrittenCount();
            cachedReply = reply;
        }
    }

    /// <summary>A writer writing to <paramref name="output"/>; flush it before returning it.</summary>
    public static Utf8JsonWriter RentWriter(IBufferWriter<byte> output)
    {
        var writer = cachedWriter ?? new Utf8JsonWriter(Nowhere, WriterOptions);
        cachedWriter = null;
        writer.Reset(output);
        return writer;
    }

    public static void Return(Utf8JsonWriter writer)
    {
        writer.Reset(Nowhere);
        cachedWriter = writer;
    }

    private sealed class SequencePolicy : IPooledObjectPolicy<Sequence<byte>>
    {
        public Sequence<byte> Create() => new(ArrayPool<byte>.Shared);

        public bool Return(Sequence<byte> sequence)
        {
            var keep = sequence.Length <= MaxPooledSequenceBytes;
            sequence.Reset();
            return keep;
        }
    }
}
