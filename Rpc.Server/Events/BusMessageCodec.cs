using System.Text.Encodings.Web;
using System.Text.Json;
using Rpc.Contracts.Protocol;

namespace Rpc.Server.Events;

/// <summary>
/// Bus messages as JSON text for other servers, by System.Text.Json's polymorphism (the kinds are
/// declared on <see cref="BusMessage"/> and <see cref="EventAudience"/>): everything in the API's JSON
/// conventions, so a frame built from an event on another server carries the same <c>d</c>, and the
/// sending node beside it, so a server can skip its own messages. A decoded event's payload is a
/// <see cref="JsonElement"/>.
/// </summary>
public static class BusMessageCodec
{
    private static readonly JsonSerializerOptions Options = new(RpcJson.Options) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Encode(BusMessage message, Guid node) => JsonSerializer.Serialize(new Envelope(node, message), Options);

    /// <summary>The sending node and the message of <paramref name="text"/>; throws <see cref="JsonException"/> on anything else.</summary>
    public static (Guid Node, BusMessage Message) Decode(string text)
    {
        var envelope = JsonSerializer.Deserialize<Envelope>(text, Options) ?? throw new JsonException("a bus message is an object");
        return (envelope.Node, envelope.Message ?? throw new JsonException("a bus message has a message"));
    }

    /// <summary>One message on the wire between servers, with the node that sent it.</summary>
    internal sealed record Envelope(Guid Node, BusMessage Message);
}
