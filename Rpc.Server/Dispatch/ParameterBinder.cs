using System.Text.Json;
using Rpc.Contracts.Protocol;

namespace Rpc.Server.Dispatch;

/// <summary>
/// Binds JSON-RPC params, named (an object) or positional (an array), to a method's arguments.
/// Every failure is a -32602 whose data names the parameter.
/// </summary>
public static class ParameterBinder
{
    public static object?[] Bind(RpcMethod method, JsonElement? parameters)
    {
        var args = new object?[method.Parameters.Count];
        Span<bool> bound = args.Length <= 32 ? stackalloc bool[args.Length] : new bool[args.Length];
        if (parameters is { ValueKind: JsonValueKind.Object } named)
        {
            foreach (var property in named.EnumerateObject())
            {
                var parameter = Named(method, property)
                    ?? throw RpcException.InvalidParams($"unknown parameter '{property.Name}'; {method.Name} takes {Describe(method)}");

                args[parameter.Position] = Convert(parameter, property.Value);
                bound[parameter.Position] = true;
            }
        }
        else if (parameters is { ValueKind: JsonValueKind.Array } positional)
        {
            var count = positional.GetArrayLength();
            if (count > args.Length)
            {
                throw RpcException.InvalidParams($"too many parameters: {method.Name} takes at most {args.Length} ({Describe(method)}), got {count}");
            }

            var i = 0;
            foreach (var value in positional.EnumerateArray())
            {
                args[i] = Convert(method.Parameters[i], value);
                bound[i] = true;
                i++;
            }
        }

        // Indexed, not foreach: enumerating an IReadOnlyList allocates an enumerator on every call.
        for (var p = 0; p < method.Parameters.Count; p++)
        {
            var parameter = method.Parameters[p];
            if (bound[parameter.Position])
            {
                continue;
            }

            if (!parameter.IsOptional)
            {
                throw RpcException.InvalidParams($"missing parameter '{parameter.WireName}': expected {parameter.Expected}");
            }

            args[parameter.Position] = parameter.DefaultValue;
        }

        return args;
    }

    // Compared as UTF-8, so a call does not allocate its parameter names as strings; methods take a handful.
    private static RpcParameter? Named(RpcMethod method, JsonProperty property)
    {
        for (var p = 0; p < method.Parameters.Count; p++)
        {
            if (property.NameEquals(method.Parameters[p].WireNameUtf8))
            {
                return method.Parameters[p];
            }
        }

        return null;
    }

    private static object? Convert(RpcParameter parameter, JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return parameter.AcceptsNull
                ? null
                : throw RpcException.InvalidParams($"parameter '{parameter.WireName}' must not be null: expected {parameter.Expected}");
        }

        try
        {
            // Strings are most parameters; reading one directly skips the serializer's type look-up.
            if (value.ValueKind == JsonValueKind.String && parameter.Type == typeof(string))
            {
                return value.GetString();
            }

            var result = value.Deserialize(parameter.Type, RpcJson.Options);
            if (result is System.Collections.IEnumerable items and not string && ContainsNull(items))
            {
                throw RpcException.InvalidParams($"parameter '{parameter.WireName}' must not contain null: expected {parameter.Expected}");
            }

            return result;
        }
        catch (JsonException)
        {
            throw RpcException.InvalidParams($"parameter '{parameter.WireName}' must be {parameter.Expected}");
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or OverflowException or NotSupportedException)
        {
            throw RpcException.InvalidParams($"parameter '{parameter.WireName}' must be {parameter.Expected}");
        }
    }

    private static bool ContainsNull(System.Collections.IEnumerable items)
    {
        foreach (var item in items)
        {
            if (item is null)
            {
                return true;
            }
        }

        return false;
    }

    private static string Describe(RpcMethod method) =>
        method.Parameters.Count == 0
            ? "no parameters"
            : string.Join(", ", method.Parameters.Select(p => p.IsOptional ? p.WireName + "?" : p.WireName));
}
