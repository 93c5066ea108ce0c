using Rpc.Contracts.Protocol;

namespace Rpc.Server.Dispatch;

/// <summary>One wire method: its name, who may call it, its parameters and how to invoke it.</summary>
public sealed class RpcMethod
{
    public required string Name { get; init; }

    public required RpcAccess Access { get; init; }

    /// <summary>Whether the method signs its caller in (<see cref="SignsInConnectionAttribute"/>): the connection it came on takes the session.</summary>
    public required bool SignsInConnection { get; init; }

    public required IReadOnlyList<RpcParameter> Parameters { get; init; }

    /// <summary>The parameters by wire name.</summary>
    public required IReadOnlyDictionary<string, RpcParameter> ParametersByName { get; init; }

    public required Type ResultType { get; init; }

    /// <summary>How the result is written: resolved once, not looked up on every call.</summary>
    public required System.Text.Json.Serialization.Metadata.JsonTypeInfo ResultTypeInfo { get; init; }

    /// <summary>The contract interface's member, whose doc comments describe the method in the OpenRPC document.</summary>
    public required System.Reflection.MethodInfo Method { get; init; }

    /// <summary>Runs the method on its service with bound arguments and returns its boxed result.</summary>
    public required Func<object?[], CancellationToken, ValueTask<object?>> Invoke { get; init; }
}

/// <summary>A parameter of a wire method, with what binding needs to know.</summary>
public sealed class RpcParameter
{
    public required string WireName
    {
        get;
        init
        {
            field = value;
            WireNameUtf8 = System.Text.Encoding.UTF8.GetBytes(value);
        }
    }

    /// <summary><see cref="WireName"/> in UTF-8, as params objects are read.</summary>
    public byte[] WireNameUtf8 { get; private init; } = [];

    public required int Position { get; init; }

    public required Type Type { get; init; }

    public required bool IsOptional { get; init; }

    public required object? DefaultValue { get; init; }

    /// <summary>Whether JSON null is accepted (a nullable value type or a nullable reference).</summary>
    public required bool AcceptsNull { get; init; }

    /// <summary>A short English description of the JSON the parameter takes, for error data.</summary>
    public required string Expected { get; init; }
}
