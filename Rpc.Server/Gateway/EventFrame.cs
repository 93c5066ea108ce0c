using System.Buffers.Text;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Rpc.Contracts.Gateway;
using Rpc.Contracts.Protocol;

namespace Rpc.Server.Gateway;

/// <summary>
/// An event serialized once, ready to be framed for each session with that session's sequence number:
/// <c>{"jsonrpc":"2.0","method":"gateway.event","params":{"t":NAME,"s":SEQ,"d":PAYLOAD}}</c>.
/// </summary>
public sealed class EventFrame
{
    private static readonly JsonSerializerOptions PayloadOptions = new(RpcJson.Options) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly byte[] head;
    private readonly byte[] tail;

    public EventFrame(string name, object payload)
    {
        Name = name;
        var escapedName = JsonSerializer.Serialize(name);
        head = Encoding.UTF8.GetBytes($$"""{"jsonrpc":"2.0","method":"{{GatewayEvents.Method}}","params":{"t":{{escapedName}},"s":""");
        var d = JsonSerializer.SerializeToUtf8Bytes(payload, payload.GetType(), PayloadOptions);
        tail = [.. ",\"d\":"u8, .. d, .. "}}"u8];
    }

    public string Name { get; }

    /// <summary>The whole notification for sequence number <paramref name="seq"/>.</summary>
    public byte[] Encode(long seq)
    {
        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat(seq, digits, out var length);
        var frame = new byte[head.Length + length + tail.Length];
        head.CopyTo(frame, 0);
        digits[..length].CopyTo(frame.AsSpan(head.Length));
        tail.CopyTo(frame, head.Length + length);
        return frame;
    }
}
