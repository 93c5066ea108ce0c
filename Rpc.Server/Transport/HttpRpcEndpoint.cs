using System.Buffers;
using System.IO.Pipelines;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Nerdbank.Streams;
using Rpc.Contracts.Protocol;
using Rpc.Server.Dispatch;

namespace Rpc.Server.Transport;

/// <summary>
/// <c>POST /rpc</c>: one request or a batch per body. 200 with the reply, 204 when the body held only
/// notifications; 405, 413 and 415 with a JSON-RPC error body for what HTTP itself refuses, and 404 with one for a path
/// below <c>/rpc/</c> (the REST habit of naming the method in the path). A reply
/// holding a rate-limit error carries <c>Retry-After</c> (seconds, the longest of a batch). A body waits for its
/// address's pace (<see cref="AddressPacer"/>) before it runs, or is refused with 429 and <c>Retry-After</c>.
/// </summary>
public sealed class HttpRpcEndpoint(RpcProcessor processor, RpcErrorWriter errors, AddressPacer pacer, IOptions<RpcLimitsOptions> limits)
{
    private readonly int maxBytes = limits.Value.MaxRequestBytes;

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;
        var origin = RequestOriginFactory.From(context);
        if (!HttpMethods.IsPost(request.Method))
        {
            response.Headers.Allow = "POST";
            await RefuseAsync(response, StatusCodes.Status405MethodNotAllowed, $"HTTP {request.Method} is not allowed: send JSON-RPC with POST, or open a WebSocket with GET", origin).ConfigureAwait(false);
            return;
        }

        if (!IsJson(request.ContentType))
        {
            await RefuseAsync(response, StatusCodes.Status415UnsupportedMediaType, "Content-Type must be application/json", origin).ConfigureAwait(false);
            return;
        }

        if (request.ContentLength > maxBytes)
        {
            await DrainAsync(context).ConfigureAwait(false);
            await RefuseAsync(response, StatusCodes.Status413PayloadTooLarge, $"request body larger than {maxBytes} bytes", origin).ConfigureAwait(false);
            return;
        }

        // The declared length waits for its turn before the body is read, so a paced body waits in TCP, not in memory.
        var address = origin.AddressKey;
        var declared = request.ContentLength ?? 0;
        var paced = pacer.MaxWait is not null;
        if (paced && !await WaitTurnAsync(context, address, declared, origin).ConfigureAwait(false))
        {
            return;
        }

        // Read once: Kestrel takes a lock on every read of RequestAborted.
        var aborted = context.RequestAborted;
        var reader = request.BodyReader;
        var first = await reader.ReadAsync(aborted).ConfigureAwait(false);
        if (first.IsCompleted && first.Buffer.Length <= maxBytes && first.Buffer.Length == request.ContentLength)
        {
            // The usual case: the whole declared body arrived in one read; answered from Kestrel's own buffer, no copy.
            try
            {
                await AnswerAsync(context, first.Buffer, origin, aborted).ConfigureAwait(false);
            }
            finally
            {
                reader.AdvanceTo(first.Buffer.End);
            }

            return;
        }

        var body = PooledBuffers.RentSequence();
        try
        {
            if (!await ReadBodyAsync(reader, first, body, aborted).ConfigureAwait(false))
            {
                await DrainAsync(context).ConfigureAwait(false);
                await RefuseAsync(response, StatusCodes.Status413PayloadTooLarge, $"request body larger than {maxBytes} bytes", origin).ConfigureAwait(false);
                return;
            }

            // A body without a Content-Length (chunked) is counted once read.
            if (paced && body.Length > declared && !await WaitTurnAsync(context, address, body.Length - declared, origin, overhead: false).ConfigureAwait(false))
            {
                return;
            }

            await AnswerAsync(context, body.AsReadOnlySequence, origin, aborted).ConfigureAwait(false);
        }
        finally
        {
            PooledBuffers.Return(body);
        }
    }

    private async Task AnswerAsync(HttpContext context, ReadOnlySequence<byte> body, RequestOrigin origin, CancellationToken aborted)
    {
        var response = context.Response;
        var reply = PooledBuffers.RentReply();
        try
        {
            var replied = await processor.ProcessAsync(body, origin, reply, aborted).ConfigureAwait(false);
            if (origin.RetryAfterSeconds is { } seconds)
            {
                response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            if (!replied)
            {
                response.StatusCode = StatusCodes.Status204NoContent;
                return;
            }

            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/json; charset=utf-8";
            response.ContentLength = reply.WrittenCount;
            // One write of the whole reply: Kestrel puts the headers and the body in its output together. (Writing
            // through GetSpan/Advance before the response starts stages the body in extra blocks and copies it.)
            await response.BodyWriter.WriteAsync(reply.WrittenMemory, aborted).ConfigureAwait(false);
        }
        finally
        {
            PooledBuffers.Return(reply);
        }
    }

    /// <summary>Waits for the address's turn; false once a refusal (429 with Retry-After) was written, the rest of the body drained.</summary>
    private async Task<bool> WaitTurnAsync(HttpContext context, string address, long bytes, RequestOrigin origin, bool overhead = true)
    {
        var (accepted, retryAfter) = await pacer.WaitTurnAsync(address, bytes, context.RequestAborted, overhead).ConfigureAwait(false);
        if (accepted)
        {
            return true;
        }

        // Read and dropped, not kept: a client still sending its body gets the answer instead of a reset.
        await DrainAsync(context).ConfigureAwait(false);
        context.Response.Headers.RetryAfter = retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await RefuseAsync(context.Response, StatusCodes.Status429TooManyRequests, ErrorData.AddressSendsTooMuch(retryAfter), origin).ConfigureAwait(false);
        return false;
    }

    /// <summary>Copies the body into <paramref name="body"/>, starting with the read already made; false past the size limit.</summary>
    private async Task<bool> ReadBodyAsync(PipeReader reader, ReadResult read, Sequence<byte> body, CancellationToken cancellationToken)
    {
        while (true)
        {
            var buffer = read.Buffer;
            if (body.Length + buffer.Length > maxBytes)
            {
                reader.AdvanceTo(buffer.End);
                return false;
            }

            foreach (var segment in buffer)
            {
                segment.Span.CopyTo(body.GetSpan(segment.Length));
                body.Advance(segment.Length);
            }

            reader.AdvanceTo(buffer.End);
            if (read.IsCompleted)
            {
                return true;
            }

            read = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Reads and discards the rest of a refused body, up to a bound, so that a client still sending it
    /// gets the 413 instead of a reset connection; past the bound Kestrel closes the connection.
    /// </summary>
    private async Task DrainAsync(HttpContext context)
    {
        var drainLimit = 8L * maxBytes;
        if (context.Request.ContentLength > drainLimit)
        {
            return;
        }

        var sizeFeature = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>();
        if (sizeFeature is { IsReadOnly: false })
        {
            sizeFeature.MaxRequestBodySize = drainLimit;
        }

        var reader = context.Request.BodyReader;
        long drained = 0;
        try
        {
            while (drained <= drainLimit)
            {
                var read = await reader.ReadAsync(context.RequestAborted).ConfigureAwait(false);
                drained += read.Buffer.Length;
                reader.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted)
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is BadHttpRequestException or IOException or OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// A request to a path below <c>/rpc/</c>: 404 with a JSON-RPC error that says where calls go, since a client
    /// written from REST documentation puts the method in the path.
    /// </summary>
    public Task NotFoundAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        var shown = path.Length > 100 ? path[..100] + "…" : path;
        return RefuseAsync(context.Response, StatusCodes.Status404NotFound,
            $$"""no JSON-RPC endpoint at {{shown}}: POST to /rpc with the method in the body, e.g. {"jsonrpc":"2.0","method":"users.check","params":["alice"],"id":1}""",
            RequestOriginFactory.From(context));
    }

    private static bool IsJson(string? contentType)
    {
        if (contentType is null)
        {
            return false;
        }

        var mediaType = contentType.AsSpan();
        if (mediaType.IndexOf(';') is var end and >= 0)
        {
            mediaType = mediaType[..end];
        }

        mediaType = mediaType.Trim();
        return mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || mediaType.Equals("application/json-rpc", StringComparison.OrdinalIgnoreCase)
            || mediaType.Equals("application/jsonrequest", StringComparison.OrdinalIgnoreCase);
    }

    private Task RefuseAsync(HttpResponse response, int status, string data, RequestOrigin origin) =>
        HttpRefusal.WriteAsync(response, errors, status, data, origin.Culture);
}
