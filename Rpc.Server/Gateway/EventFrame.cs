using System.Buffers.Text;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Rpc.Contracts.Gateway;
using Rpc.Contracts.Protocol;

namespace Rpc.Server.Gateway;

/// <summary>
/// An event serialized once per fan-out, framed for each session with that session's sequence number:
/// <c>{"jsonrpc":"2.0","method":"gateway.event","params":{"t":NAME,"s":SEQ,"d":PAYLOAD}}</c>. Every
/// session's outbox and replay buffer hold this one object and its number, not a copy of the bytes; the
/// whole frame is written only into the send buffer of the moment (<see cref="Write"/>).
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

    /// <summary>The most bytes a framed notification takes (a sequence number has at most 20 digits).</summary>
    public int MaxLength => head.Length + 20 + tail.Length;

    /// <summary>Writes the whole notification for sequence number <paramref name="seq"/>; returns its length.</summary>
    public int Write(long seq, Span<byte> destination)
    {
        head.CopyTo(destination);
        Utf8Formatter.TryFormat(seq, destination[head.Length..], out var length);
        tail.CopyTo(destination[(head.Length + length)..]);
        return head.Length + length + tail.Length;
    }

}
