using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.ObjectPool;
using Nerdbank.Streams;

namespace Rpc.Server.Dispatch;

/// <summary>
/// The buffers and JSON writers every call would otherwise allocate (issue #18): a reply's writer and an HTTP
/// body's or reply's <see cref="Sequence{T}"/>, rented per message and returned when it is answered.
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

    private static readonly ObjectPool<Utf8JsonWriter> Writers =
        new DefaultObjectPool<Utf8JsonWriter>(new WriterPolicy(), Environment.ProcessorCount * 16);

    /// <summary>An empty sequence drawing its segments from <see cref="ArrayPool{T}.Shared"/>.</summary>
    public static Sequence<byte> RentSequence() => Sequences.Get();

    public static void Return(Sequence<byte> sequence) => Sequences.Return(sequence);

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
