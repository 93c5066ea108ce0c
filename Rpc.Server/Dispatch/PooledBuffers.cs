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

    private static readonly ObjectPool<Sequence<byte>> Sequences =
        new DefaultObjectPool<Sequence<byte>>(new SequencePolicy(), Environment.ProcessorCount * 16);

    // A reply buffer keeps its array while pooled (no ArrayPool round trip per call); one grown past this is dropped.
    private const int MaxPooledReplyBytes = 16 * 1024;

    private static readonly ObjectPool<ArrayBufferWriter<byte>> Replies =
        new DefaultObjectPool<ArrayBufferWriter<byte>>(new ReplyPolicy(), Environment.ProcessorCount * 16);

    private static readonly ObjectPool<Utf8JsonWriter> Writers =
        new DefaultObjectPool<Utf8JsonWriter>(new WriterPolicy(), Environment.ProcessorCount * 16);

    /// <summary>An empty sequence drawing its segments from <see cref="ArrayPool{T}.Shared"/>.</summary>
    public static Sequence<byte> RentSequence() => Sequences.Get();

    public static void Return(Sequence<byte> sequence) => Sequences.Return(sequence);

    /// <summary>An empty contiguous buffer for a reply written out in one piece.</summary>
    public static ArrayBufferWriter<byte> RentReply() => Replies.Get();

    public static void Return(ArrayBufferWriter<byte> reply) => Replies.Return(reply);

    /// <summary>A writer writing to <paramref name="output"/>; flush it before returning it.</summary>
    public static Utf8JsonWriter RentWriter(IBufferWriter<byte> output)
    {
        var writer = Writers.Get();
        writer.Reset(output);
        return writer;
    }

    public static void Return(Utf8JsonWriter writer) => Writers.Return(writer);

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

    private sealed class ReplyPolicy : IPooledObjectPolicy<ArrayBufferWriter<byte>>
    {
        public ArrayBufferWriter<byte> Create() => new(256);

        public bool Return(ArrayBufferWriter<byte> reply)
        {
            // Not cleared: the next reply overwrites what it uses and reads nothing it did not write.
            reply.ResetWrittenCount();
            return reply.Capacity <= MaxPooledReplyBytes;
        }
    }

    private sealed class WriterPolicy : IPooledObjectPolicy<Utf8JsonWriter>
    {
        // A returned writer points here, so it holds no reference to the buffer it last wrote to.
        private static readonly IBufferWriter<byte> Nowhere = new ArrayBufferWriter<byte>(1);

        public Utf8JsonWriter Create() => new(Nowhere, WriterOptions);

        public bool Return(Utf8JsonWriter writer)
        {
            writer.Reset(Nowhere);
            return true;
        }
    }
}
