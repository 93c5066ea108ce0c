using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rpc.Server.Dispatch.OpenRpc;

/// <summary>
/// The example pairings of <c>examples.json</c> (embedded), by method. Each has a name, the params (an
/// object or an array, as a client would send them) and either a <c>result</c> or an <c>error</c>
/// (<c>{code, message, data}</c>; OpenRPC has no error examples, so it goes under <c>x-error</c>).
/// <c>live: true</c> marks examples whose reply a fresh server gives exactly as written, given the
/// fixture tokens the OpenRPC tooling test passes (<c>x-live</c>): that test runs them.
/// </summary>
internal sealed class MethodExamples
{
    private readonly JsonObject examples;

    private MethodExamples(JsonObject examples) => this.examples = examples;

    public static MethodExamples Load()
    {
        using var stream = typeof(MethodExamples).Assembly.GetManifestResourceStream("OpenRpc.examples.json")
            ?? throw new InvalidOperationException("examples.json is not embedded");
        return new MethodExamples(JsonNode.Parse(stream)!.AsObject());
    }

    /// <summary>The OpenRPC example pairings of <paramref name="method"/>: its params by name, in declaration order.</summary>
    public JsonArray For(RpcMethod method)
    {
        var pairings = new JsonArray();
        foreach (var example in examples[method.Name]?.AsArray() ?? [])
        {
            var given = example!["params"];
            var values = new JsonArray();
            foreach (var parameter in method.Parameters)
            {
                var value = given switch
                {
                    JsonObject named => named.TryGetPropertyValue(parameter.WireName, out var v) ? (true, v) : (false, null),
                    JsonArray positional => parameter.Position < positional.Count ? (true, positional[parameter.Position]) : (false, null),
                    _ => (false, (JsonNode?)null),
                };
                if (value.Item1)
                {
                    values.Add(new JsonObject { ["name"] = parameter.WireName, ["value"] = value.Item2?.DeepClone() });
                }
            }

            var pairing = new JsonObject { ["name"] = (string)example["name"]!, ["params"] = values };
            if (example["result"] is { } result || example.AsObject().ContainsKey("result"))
            {
                pairing["result"] = new JsonObject { ["name"] = "result", ["value"] = example["result"]?.DeepClone() };
            }

            if (example["error"] is { } error)
            {
                pairing["x-error"] = error.DeepClone();
            }

            if (example["live"] is { } live)
            {
                pairing["x-live"] = live.DeepClone();
            }

            pairings.Add(pairing);
        }

        return pairings;
    }
}
