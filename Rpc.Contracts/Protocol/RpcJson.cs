using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rpc.Contracts.Protocol;

/// <summary>
/// The JSON conventions of the API, shared by the server and .NET clients: snake_case member names,
/// 64-bit integers (snowflake ids) written as strings, absent optional members left out.
/// </summary>
public static class RpcJson
{
    /// <summary>Serializer options that read and write the API's JSON.</summary>
    public static JsonSerializerOptions Options { get; } = Create();

    /// <summary>Creates a new, mutable copy of the API's serializer options.</summary>
    public static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            DictionaryKeyPolicy = JsonNamingPolicy.SnakeCaseLower,
            DefaultIgnoreCondition = JsonIgnoreCondition.Never,
            NumberHandling = JsonNumberHandling.Strict,
            MaxDepth = 64,
        };
        options.Converters.Add(new Int64AsStringConverter());
        options.Converters.Add(new NullableInt64AsStringConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}

/// <summary>
/// Writes 64-bit integers as JSON strings, since JavaScript numbers lose precision past 2^53;
/// reads them from a string of digits or from an integral number.
/// </summary>
public sealed class Int64AsStringConverter : JsonConverter<long>
{
    /// <inheritdoc />
    public override long Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var number))
        {
            return number;
        }

        if (reader.TokenType == JsonTokenType.String)
        {
            var text = reader.GetString();
            if (long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var parsed))
            {
                return parsed;
            }
        }

        throw new JsonException("expected a 64-bit integer id as a string of digits");
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, long value, JsonSerializerOptions options)
    {
        Span<byte> digits = stackalloc byte[20];
        System.Buffers.Text.Utf8Formatter.TryFormat(value, digits, out var written);
        writer.WriteStringValue(digits[..written]);
    }
}

/// <summary>The nullable form of <see cref="Int64AsStringConverter"/>.</summary>
public sealed class NullableInt64AsStringConverter : JsonConverter<long?>
{
    private static readonly Int64AsStringConverter Inner = new();

    /// <inheritdoc />
    public override bool HandleNull => true;

    /// <inheritdoc />
    public override long? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.Null ? null : Inner.Read(ref reader, typeof(long), options);

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, long? value, JsonSerializerOptions options)
    {
        if (value is { } v)
        {
            Inner.Write(writer, v, options);
        }
        else
        {
            writer.WriteNullValue();
        }
    }
}
