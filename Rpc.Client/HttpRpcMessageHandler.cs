using System.Buffers;
using System.Net.Http.Headers;
using System.Threading.Channels;
using StreamJsonRpc;
using StreamJsonRpc.Protocol;

namespace Rpc.Client;

/// <summary>
/// Carries StreamJsonRpc's messages over HTTP: each message is one <c>POST /rpc</c>, and the reply body (if
/// any: a notification gets none) is read back as the next message. The token, when set, goes as
/// <c>Authorization: Bearer</c>. Calls are sent one after another (use several clients for parallel calls).
/// </summary>
internal sealed class HttpRpcMessageHandler(HttpClient http, Uri rpcUri, IJsonRpcMessageFormatter formatter, Func<string?> token) : IJsonRpcMessageHandler
{
    private readonly Channel<JsonRpcMessage> replies = Channel.CreateUnbounded<JsonRpcMessage>();

    public bool CanRead => true;

    public bool CanWrite => true;

    public IJsonRpcMessageFormatter Formatter => formatter;

    public async ValueTask<JsonRpcMessage?> ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await replies.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            return null;
        }
    }

    public async ValueTask WriteAsync(JsonRpcMessage content, CancellationToken cancellationToken)
    {
        var body = new ArrayBufferWriter<byte>();
        formatter.Serialize(body, content);
        using var request = new HttpRequestMessage(HttpMethod.Post, rpcUri) { Content = new ReadOnlyMemoryContent(body.WrittenMemory) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (token() is { } bearer)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        // One call at a time: StreamJsonRpc waits for each write, and a failed POST fails the call that made it.
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        if (bytes.Length > 0)
        {
            await replies.Writer.WriteAsync(formatter.Deserialize(new ReadOnlySequence<byte>(bytes)), cancellationToken).ConfigureAwait(false);
        }
    }
}
