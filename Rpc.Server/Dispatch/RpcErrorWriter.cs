using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Rpc.Server.Dispatch;

/// <summary>Writes JSON-RPC error responses with the message in the caller's language.</summary>
public sealed class RpcErrorWriter(ErrorMessages messages)
{
    private static readonly JsonWriterOptions StandaloneOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

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

    /// <summary>Writes a whole reply that is one error with a null id (a refusal before any request was read) to <paramref name="output"/>.</summary>
    public void WriteStandalone(IBufferWriter<byte> output, int code, string data, CultureInfo culture)
    {
        using var writer = new Utf8JsonWriter(output, StandaloneOptions);
        Write(writer, null, code, data, culture);
    }

    /// <summary>A whole reply that is one error with a null id, as UTF-8 bytes.</summary>
    public ReadOnlyMemory<byte> Standalone(int code, string data, CultureInfo culture)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        WriteStandalone(buffer, code, data, culture);
        return buffer.WrittenMemory;
    }
}
