using System.Buffers;
using System.Text.Unicode;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Rpc.Contracts.Protocol;
using Rpc.Server.Security;

namespace Rpc.Server.Dispatch;

/// <summary>
/// Turns one HTTP body or WebSocket message into its reply: parses the JSON, splits batches, applies
/// the batch limit and hands each request to the <see cref="RpcDispatcher"/>. Knows nothing of transports.
/// </summary>
public sealed class RpcProcessor(RpcDispatcher dispatcher, RpcErrorWriter errors, IOptions<RpcLimitsOptions> limits, IOptions<PasswordOptions> passwords)
{
    private readonly RpcLimitsOptions limits = limits.Value;
    private readonly int hashesPerMessage = passwords.Value.MaxHashesPerMessage;

    /// <summary>Processes <paramref name="message"/> and writes the reply to <paramref name="output"/>; returns false when there is no reply.</summary>
    public async ValueTask<bool> ProcessAsync(ReadOnlySequence<byte> message, RequestOrigin origin, IBufferWriter<byte> output, CancellationToken cancellationToken)
    {
        if (!IsValidUtf8(message))
        {
            using var errorWriter = new Utf8JsonWriter(output, PooledBuffers.WriterOptions);
            errors.Write(errorWriter, null, RpcErrorCodes.ParseError, "malformed JSON: the message is not valid UTF-8", origin.Culture);
            return true;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(message, new JsonDocumentOptions { MaxDepth = limits.MaxJsonDepth });
        }
        catch (JsonException e)
        {
            using var errorWriter = new Utf8JsonWriter(output, PooledBuffers.WriterOptions);
            errors.Write(errorWriter, null, RpcErrorCodes.ParseError, "malformed JSON: " + e.Message, origin.Culture);
            return true;
        }

        using (document)
        {
            var writer = PooledBuffers.RentWriter(output);
            try
            {
                return await WriteRepliesAsync(document.RootElement, origin, writer, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                PooledBuffers.Return(writer);
            }
        }
    }

    /// <summary>Dispatches one request or a batch and writes the reply; the output is a memory buffer, so the flush is synchronous.</summary>
    private async ValueTask<bool> WriteRepliesAsync(JsonElement root, RequestOrigin origin, Utf8JsonWriter writer, CancellationToken cancellationToken)
    {
        // One allowance for the whole message, so a batch shares it whichever transport carried it.
        var hashes = new HashAllowance(origin.AddressKey, hashesPerMessage);
        if (root.ValueKind != JsonValueKind.Array)
        {
            var wrote = await dispatcher.DispatchAsync(root, origin, hashes, writer, cancellationToken).ConfigureAwait(false);
            writer.Flush();
            return wrote;
        }

        var count = root.GetArrayLength();
        if (count == 0 || count > limits.MaxBatchSize)
        {
            var reason = count == 0 ? "empty batch" : $"batch of {count} requests exceeds the limit of {limits.MaxBatchSize}";
            errors.Write(writer, null, RpcErrorCodes.InvalidRequest, reason, origin.Culture);
            writer.Flush();
            return true;
        }

        var any = false;
        writer.WriteStartArray();
        foreach (var request in root.EnumerateArray())
        {
            if (writer.BytesCommitted + writer.BytesPending > limits.MaxBatchReplyBytes)
            {
                any |= dispatcher.Refuse(request, origin, writer, ErrorData.BatchReplyTooLarge(limits.MaxBatchReplyBytes));
                continue;
            }

            any |= await dispatcher.DispatchAsync(request, origin, hashes, writer, cancellationToken).ConfigureAwait(false);
        }

        if (!any)
        {
            // An all-notification batch gets no reply at all; drop the '[' not yet flushed.
            return false;
        }

        writer.WriteEndArray();
        writer.Flush();
        return true;
    }

    // System.Text.Json checks UTF-8 only in the strings it decodes; a whole-message check makes
    // every invalid byte a parse error rather than an error of whichever parameter holds it.
    private static bool IsValidUtf8(ReadOnlySequence<byte> message)
    {
        if (message.IsSingleSegment)
        {
            return Utf8.IsValid(message.FirstSpan);
        }

        var copy = ArrayPool<byte>.Shared.Rent((int)message.Length);
        try
        {
            message.CopyTo(copy);
            return Utf8.IsValid(copy.AsSpan(0, (int)message.Length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }
}
