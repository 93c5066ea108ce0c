using System.Text.Json;
using System.Text.Json.Nodes;
using Rpc.Contracts.Gateway;
using Rpc.Contracts.Protocol;
using Rpc.Server.Operations;

namespace Rpc.Server.Dispatch.OpenRpc;

/// <summary>
/// The server's OpenRPC 1.3 document, built once at start-up from the method table (names, params, who
/// may call), the Rpc.Contracts types and doc comments (schemas, descriptions), <see cref="ParameterRules"/>
/// (the validators' limits), <see cref="MethodErrors"/> and the examples in <c>examples.json</c>. Served by
/// <c>rpc.discover</c> and <c>GET /openrpc.json</c>; methods.md's reference is rendered from it.
/// </summary>
public sealed class OpenRpcDocument
{
    /// <summary>The OpenRPC version the document follows.</summary>
    public const string SpecVersion = "1.3.2";

    /// <summary>Method names starting with this are the protocol's own (rpc.discover) and are not listed.</summary>
    public const string ReservedPrefix = "rpc.";

    private const string InternalErrorMessage = "Internal error";

    /// <param name="methods">The server's method table.</param>
    /// <param name="defaultHost">The address and port the server listens on when none is configured (the <c>host</c> variable's default).</param>
    public OpenRpcDocument(RpcMethodTable methods, string defaultHost)
    {
        var documentation = ContractDocumentation.For(typeof(IDiscoveryApi).Assembly);
        var schemas = new ContractSchemas(documentation);
        var catalogue = ErrorCatalogue.Read(documentation);
        var byName = catalogue.ToDictionary(e => e.Name, StringComparer.Ordinal);
        var examples = MethodExamples.Load();
        var usedBy = catalogue.ToDictionary(e => e.Name, _ => new List<string>(), StringComparer.Ordinal);

        var methodNodes = new JsonArray();
        foreach (var method in methods.All.Where(m => !m.Name.StartsWith(ReservedPrefix, StringComparison.Ordinal)).OrderBy(m => m.Name, StringComparer.Ordinal))
        {
            var errors = ErrorsOf(method);
            foreach (var error in errors)
            {
                usedBy[error].Add(method.Name);
            }

            methodNodes.Add(Method(method, documentation, schemas, errors.Select(e => byName[e]), examples));
        }

        var events = new JsonObject();
        var eventVariants = new JsonArray();
        foreach (var (name, payload) in GatewayEventPayloads.All)
        {
            var schemaName = $"GatewayEvent_{name}";
            schemas.Named(schemaName, new JsonObject
            {
                ["description"] = $"The `gateway.event` notification whose `t` is `{name}`.",
                ["type"] = "object",
                ["required"] = new JsonArray("t", "s", "d"),
                ["properties"] = new JsonObject
                {
                    ["t"] = new JsonObject { ["const"] = name },
                    ["s"] = new JsonObject { ["type"] = "integer", ["minimum"] = 1, ["description"] = "The event's sequence number in its gateway session." },
                    ["d"] = schemas.Reference(payload),
                },
            });
            eventVariants.Add(new JsonObject { ["$ref"] = $"#/components/schemas/{schemaName}" });
        }

        schemas.Named("GatewayEvent", new JsonObject
        {
            ["description"] = $"The params of a `{GatewayEvents.Method}` notification, one schema per event name `t`.",
            ["oneOf"] = eventVariants,
        });

        var root = new JsonObject
        {
            ["openrpc"] = SpecVersion,
            ["info"] = new JsonObject
            {
                ["title"] = "Rpc chat server",
                ["description"] = "JSON-RPC 2.0 over HTTP POST /rpc and the WebSocket at /rpc. Application errors are code -32603 with a `data` string; see `x-error-catalogue`. `x-access` says who may call a method: anonymous, user (a session token) or staff.",
                ["version"] = ServerVersion.Informational,
            },
            ["servers"] = new JsonArray(new JsonObject
            {
                ["name"] = "rpc",
                ["url"] = "http://{host}/rpc",
                ["summary"] = "POST /rpc, or a WebSocket (ws://) at the same path",
                ["variables"] = new JsonObject
                {
                    ["host"] = new JsonObject { ["default"] = defaultHost, ["description"] = "the server's address and port" },
                },
            }),
            ["methods"] = methodNodes,
            ["components"] = new JsonObject { ["schemas"] = new JsonObject(schemas.Components.Select(c => KeyValuePair.Create(c.Key, (JsonNode?)c.Value.DeepClone()))) },
            ["x-error-catalogue"] = new JsonArray(catalogue.Select(e => (JsonNode)new JsonObject
            {
                ["name"] = e.Name,
                ["data"] = e.Template,
                ["prefix"] = e.Prefix,
                ["meaning"] = e.Meaning,
                ["methods"] = new JsonArray(usedBy[e.Name].Select(m => (JsonNode)m).ToArray()),
            }).ToArray()),
        };

        Json = root;
        Utf8 = JsonSerializer.SerializeToUtf8Bytes(root);
        Element = JsonDocument.Parse(Utf8).RootElement.Clone();
    }

    /// <summary>The document as a tree, for rendering; do not modify.</summary>
    public JsonObject Json { get; }

    /// <summary>The document as served.</summary>
    public ReadOnlyMemory<byte> Utf8 { get; }

    /// <summary>The document as the result of <c>rpc.discover</c>.</summary>
    public JsonElement Element { get; }

    /// <summary>The application errors <paramref name="method"/> can return, by <see cref="ErrorData"/> member name.</summary>
    private static List<string> ErrorsOf(RpcMethod method)
    {
        var errors = new List<string>();
        if (method.Access != RpcAccess.Anonymous)
        {
            errors.Add(nameof(ErrorData.AuthenticationRequired));
            errors.Add(nameof(ErrorData.InvalidToken));
        }

        if (method.Access == RpcAccess.Staff)
        {
            errors.Add(nameof(ErrorData.StaffOnly));
        }

        if (IsPaginated(method))
        {
            errors.Add(nameof(ErrorData.LimitRange));
        }

        // A method without an entry (one a test registers) gets the shared errors only; OpenRpcDocumentTests
        // requires an entry for every method the server itself registers.
        errors.AddRange(MethodErrors.ByMethod.GetValueOrDefault(method.Name, []));
        errors.Add(nameof(ErrorData.DatabaseBusy));
        errors.Add(nameof(ErrorData.Unexpected));
        return errors.Distinct(StringComparer.Ordinal).ToList();
    }

    private static bool IsPaginated(RpcMethod method) => method.ParametersByName.ContainsKey("limit");

    private static JsonObject Method(RpcMethod method, ContractDocumentation documentation, ContractSchemas schemas, IEnumerable<ErrorDescription> errors, MethodExamples examples)
    {
        var description = documentation.Summary(method.Method) ?? "";
        var node = new JsonObject
        {
            ["name"] = method.Name,
            ["summary"] = FirstSentence(description),
            ["description"] = description,
            ["tags"] = new JsonArray(new JsonObject { ["name"] = method.Name[..method.Name.IndexOf('.')] }),
            ["paramStructure"] = "either",
            ["params"] = new JsonArray(method.Parameters.Select(p => (JsonNode)Parameter(method, p, documentation, schemas)).ToArray()),
            ["result"] = new JsonObject { ["name"] = "result", ["schema"] = schemas.For(method.ResultType) },
            ["errors"] = new JsonArray(errors.Select(e => (JsonNode)new JsonObject
            {
                ["code"] = RpcErrorCodes.ApplicationError,
                ["message"] = InternalErrorMessage,
                ["data"] = e.Template,
            }).ToArray()),
            ["examples"] = examples.For(method),
            ["x-access"] = method.Access.ToString().ToLowerInvariant(),
        };
        if (IsPaginated(method))
        {
            node["x-pagination"] = new JsonObject
            {
                ["limit"] = "limit",
                ["cursor"] = method.ParametersByName.ContainsKey("after") ? "after" : "before",
                ["default_limit"] = Services.Paging.DefaultLimit,
                ["max_limit"] = Services.Paging.MaxLimit,
                ["order"] = "by id",
            };
        }

        return node;
    }

    private static JsonObject Parameter(RpcMethod method, RpcParameter parameter, ContractDocumentation documentation, ContractSchemas schemas)
    {
        var type = Nullable.GetUnderlyingType(parameter.Type) ?? parameter.Type;
        // Ids (snowflakes) travel as strings, and a JSON integer is accepted too; other 64-bit params
        // (a sequence number, Discord's flags) are plain integers.
        JsonNode schema = type == typeof(long)
            ? IsId(parameter.WireName)
                ? new JsonObject { ["type"] = new JsonArray("string", "integer"), ["pattern"] = ContractSchemas.IdPattern }
                : new JsonObject { ["type"] = "integer", ["minimum"] = 0 }
            : schemas.For(type);
        if (schema is JsonObject obj && !obj.ContainsKey("$ref"))
        {
            ParameterRules.Apply(method.Name, parameter.WireName, obj);
            if (parameter.IsOptional && parameter.DefaultValue is not null && !obj.ContainsKey("default"))
            {
                obj["default"] = JsonSerializer.SerializeToNode(parameter.DefaultValue, parameter.DefaultValue.GetType(), Contracts.Protocol.RpcJson.Options);
            }
        }

        if (parameter.AcceptsNull)
        {
            schema = new JsonObject { ["oneOf"] = new JsonArray(schema, new JsonObject { ["type"] = "null" }) };
        }

        var node = new JsonObject { ["name"] = parameter.WireName };
        if (documentation.Parameter(method.Method, method.Method.GetParameters()[parameter.Position].Name!) is { } text)
        {
            node["description"] = text;
        }

        node["required"] = !parameter.IsOptional;
        node["schema"] = schema;
        return node;
    }

    private static bool IsId(string wireName) =>
        wireName is "after" or "before" or "role" || wireName.EndsWith("id", StringComparison.OrdinalIgnoreCase) || wireName.EndsWith("_ids", StringComparison.Ordinal);

    private static string FirstSentence(string text)
    {
        var end = text.IndexOf(". ", StringComparison.Ordinal);
        return end < 0 ? text.TrimEnd('.') : text[..end];
    }
}
