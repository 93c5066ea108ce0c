using System.Text.Encodings.Web;
using System.Text.Json;
using Rpc.Contracts.Protocol;

namespace Rpc.Server.Events;

/// <summary>
/// Bus messages as JSON text for other servers: the payload in the API's JSON conventions (so a frame built
/// from it on another server carries the same <c>d</c>), the audience by kind, and the sending node, so a
/// server can skip its own messages. A decoded event's payload is a <see cref="JsonElement"/>.
/// </summary>
public static class BusMessageCodec
{
    private static readonly JsonSerializerOptions PayloadOptions = new(RpcJson.Options) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Encode(BusMessage message, Guid node)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("node", node);
            switch (message)
            {
                case DispatchEvent dispatch:
                    writer.WriteString("event", dispatch.Name);
                    writer.WritePropertyName("d");
                    JsonSerializer.Serialize(writer, dispatch.Payload, dispatch.Payload.GetType(), PayloadOptions);
                    WriteAudience(writer, dispatch.Audience);
                    break;
                case UsernamesChanged:
                    writer.WriteBoolean("usernames_changed", true);
                    break;
                case LoginCharge login:
                    writer.WriteStartObject("login_charge");
                    writer.WriteString("origin", login.Origin);
                    writer.WriteString("pair", login.Pair);
                    writer.WriteString("account", login.Account);
                    writer.WriteString("address", login.Address);
                    writer.WriteBoolean("refund", login.Refund);
                    writer.WriteEndObject();
                    break;
                case CreateCharge create:
                    writer.WriteStartObject("create_charge");
                    writer.WriteString("origin", create.Origin);
                    writer.WriteString("address", create.Address);
                    writer.WriteEndObject();
                    break;
                case CloseConnections close:
                    writer.WriteStartObject("close");
                    writer.WriteNumber("user", close.UserId);
                    if (close.SessionId is { } session)
                    {
                        writer.WriteNumber("session", session);
                    }

                    writer.WriteNumber("code", close.CloseCode);
                    writer.WriteString("reason", close.Reason);
                    writer.WriteEndObject();
                    break;
                default:
                    throw new ArgumentException($"no encoding for {message.GetType().Name}", nameof(message));
            }

            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>The sending node and the message of <paramref name="text"/>; throws <see cref="JsonException"/> or <see cref="FormatException"/> on anything else.</summary>
    public static (Guid Node, BusMessage Message) Decode(string text)
    {
        using var document = JsonDocument.Parse(text);
        var root = document.RootElement;
        var node = root.GetProperty("node").GetGuid();
        if (root.TryGetProperty("usernames_changed", out _))
        {
            return (node, new UsernamesChanged());
        }

        if (root.TryGetProperty("login_charge", out var login))
        {
            return (node, new LoginCharge(login.GetProperty("origin").GetGuid(), login.GetProperty("pair").GetString()!,
                login.GetProperty("account").GetString()!, login.GetProperty("address").GetString()!, login.GetProperty("refund").GetBoolean()));
        }

        if (root.TryGetProperty("create_charge", out var create))
        {
            return (node, new CreateCharge(create.GetProperty("origin").GetGuid(), create.GetProperty("address").GetString()!));
        }

        if (root.TryGetProperty("close", out var close))
        {
            long? session = close.TryGetProperty("session", out var s) ? s.GetInt64() : null;
            return (node, new CloseConnections(close.GetProperty("user").GetInt64(), session, close.GetProperty("code").GetInt32(), close.GetProperty("reason").GetString()!));
        }

        var payload = root.GetProperty("d").Clone();
        return (node, new DispatchEvent(root.GetProperty("event").GetString()!, payload, ReadAudience(root.GetProperty("audience"))));
    }

    private static void WriteAudience(Utf8JsonWriter writer, EventAudience audience)
    {
        writer.WriteStartObject("audience");
        switch (audience)
        {
            case EventAudience.Users users:
                writer.WriteStartArray("users");
                foreach (var id in users.UserIds)
                {
                    writer.WriteNumberValue(id);
                }

                writer.WriteEndArray();
                break;
            case EventAudience.GuildMembers guild:
                writer.WriteNumber("guild_members", guild.GuildId);
                break;
            case EventAudience.UserAndObservers subject:
                writer.WriteNumber("user_and_observers", subject.UserId);
                break;
            case EventAudience.Observers subject:
                writer.WriteNumber("observers", subject.UserId);
                break;
            case EventAudience.Staff:
                writer.WriteBoolean("staff", true);
                break;
            default:
                throw new ArgumentException($"no encoding for {audience.GetType().Name}", nameof(audience));
        }

        writer.WriteEndObject();
    }

    private static EventAudience ReadAudience(JsonElement audience)
    {
        var property = audience.EnumerateObject().Single();
        return property.Name switch
        {
            "users" => new EventAudience.Users(property.Value.EnumerateArray().Select(e => e.GetInt64()).ToArray()),
            "guild_members" => new EventAudience.GuildMembers(property.Value.GetInt64()),
            "user_and_observers" => new EventAudience.UserAndObservers(property.Value.GetInt64()),
            "observers" => new EventAudience.Observers(property.Value.GetInt64()),
            "staff" => new EventAudience.Staff(),
            _ => throw new FormatException($"unknown audience {property.Name}"),
        };
    }
}
