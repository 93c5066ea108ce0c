using System.Globalization;
using System.Text.Json;

namespace Rpc.Server.Dispatch;

/// <summary>Writes JSON-RPC error responses with the message in the caller's language.</summary>
public sealed class RpcErrorWriter(ErrorMessages messages)
{
    public void Write(Utf8JsonWriter writer, JsonElement? id, int code, string data, CultureInfo culture)
    {
        writer.WriteStartObject();
        writer.WriteString("jsonrpc"u8, "2.0"u8);
        writer.WritePropertyName("id"u8);
        if (id is { } value)
        {
            value.WriteTo(writer);
        }
        else
        {
            writer.WriteNullValue();
        }

        writer.WriteStartObject("error"u8);
        writer.WriteNumber("code"u8, code);
        writer.WriteString("message"u8, messages.For(code, culture));
        writer.WriteString("data"u8, data);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }
}
