using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using Rpc.Contracts.Protocol;

namespace Rpc.Server.Dispatch.OpenRpc;

/// <summary>
/// JSON Schemas of the contract types, exported by System.Text.Json with the API's own serializer
/// options (so member names, enums and id strings are what the wire carries). Every object type of
/// Rpc.Contracts becomes a named schema under <c>components.schemas</c> and is referenced from there.
/// </summary>
public sealed class ContractSchemas(ContractDocumentation documentation)
{
    /// <summary>What an id (snowflake) looks like in a result: a 64-bit integer as a string of digits.</summary>
    public const string IdPattern = "^[0-9]{1,20}$";

    // The API's options, but honouring nullable annotations, so a `string?` member says it may be null
    // and a `string` one does not; reading and writing are unaffected (these options only describe).
    private static readonly JsonSerializerOptions Options = new(RpcJson.Options) { RespectNullableAnnotations = true };

    private readonly SortedDictionary<string, JsonNode> components = new(StringComparer.Ordinal);

    /// <summary>The named schemas referenced so far.</summary>
    public IReadOnlyDictionary<string, JsonNode> Components => components;

    /// <summary>The schema of <paramref name="type"/>: a reference for a contract object type, else inline.</summary>
    public JsonNode For(Type type)
    {
        if (IsComponent(type))
        {
            return Reference(type);
        }

        return Export(type, root: null);
    }

    /// <summary>Registers a hand-written schema (for payloads that have no contract type) and returns a reference to it.</summary>
    public JsonNode Named(string name, JsonObject schema)
    {
        components.TryAdd(name, schema);
        return new JsonObject { ["$ref"] = $"#/components/schemas/{name}" };
    }

    /// <summary>Registers <paramref name="type"/> under <c>components.schemas</c> (by its name) and returns a reference to it.</summary>
    public JsonNode Reference(Type type)
    {
        var name = type.Name;
        if (!components.ContainsKey(name))
        {
            components[name] = new JsonObject(); // placeholder: stops recursion through self-references
            var schema = Export(type, root: type);
            if (documentation.Summary(type) is { } summary && schema is JsonObject obj)
            {
                obj.Insert(0, "description", summary);
            }

            components[name] = schema;
        }

        return new JsonObject { ["$ref"] = $"#/components/schemas/{name}" };
    }

    private JsonNode Export(Type type, Type? root)
    {
        var exporter = new JsonSchemaExporterOptions
        {
            TreatNullObliviousAsNonNullable = true,
            TransformSchemaNode = (context, schema) =>
            {
                var t = context.TypeInfo.Type;
                var nullable = Nullable.GetUnderlyingType(t) is not null || (context.PropertyInfo?.IsGetNullable ?? false) && !t.IsValueType;
                if (t == typeof(long) || t == typeof(long?))
                {
                    var id = new JsonObject { ["type"] = "string", ["pattern"] = IdPattern };
                    return nullable ? new JsonObject { ["oneOf"] = new JsonArray(id, new JsonObject { ["type"] = "null" }) } : id;
                }

                if (t != root && IsComponent(t))
                {
                    var reference = Reference(t);
                    return nullable ? new JsonObject { ["oneOf"] = new JsonArray(reference, new JsonObject { ["type"] = "null" }) } : reference;
                }

                if (context.PropertyInfo?.AttributeProvider is MemberInfo member && schema is JsonObject property
                    && documentation.Summary(member) is { } summary && !property.ContainsKey("$ref"))
                {
                    property.Insert(0, "description", summary);
                }

                if (t.IsEnum && schema is JsonObject enumSchema)
                {
                    DescribeEnum(t, enumSchema);
                }

                return schema;
            },
        };
        return JsonSchemaExporter.GetJsonSchemaAsNode(Options, type, exporter);
    }

    private void DescribeEnum(Type type, JsonObject schema)
    {
        // Numeric enums (flags such as UserFlag) are exported as a bare integer: list the values they take.
        if (schema["enum"] is null && schema["type"]?.GetValue<string>() == "integer")
        {
            schema["enum"] = new JsonArray(Enum.GetValues(type).Cast<object>().Select(v => (JsonNode)Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray());
            var names = Enum.GetNames(type).Select(n => $"{Convert.ToInt64(Enum.Parse(type, n), System.Globalization.CultureInfo.InvariantCulture)} {n}");
            schema["description"] = (documentation.Summary(type) is { } s ? s + " " : "") + "Values: " + string.Join(", ", names) + ".";
        }
    }

    private static bool IsComponent(Type type) =>
        type.Namespace?.StartsWith("Rpc.Contracts", StringComparison.Ordinal) == true
        && type.IsClass && type != typeof(string) && !type.IsAbstract;
}
