using System.Collections.Frozen;
using System.Linq.Expressions;
using System.Reflection;
using System.Text.Json;
using Rpc.Contracts.Protocol;
using StreamJsonRpc;

namespace Rpc.Server.Dispatch;

/// <summary>
/// The methods the server answers, read from the <c>[JsonRpcMethod]</c> members of the Rpc.Contracts
/// interfaces that services implement, so the server and the typed clients share one definition.
/// </summary>
public sealed class RpcMethodTable
{
    private readonly FrozenDictionary<string, RpcMethod> methods;
    private readonly FrozenDictionary<string, RpcMethod>.AlternateLookup<ReadOnlySpan<char>> byChars;
    private readonly int longestName;

    public RpcMethodTable(IEnumerable<RpcService> services)
    {
        var all = new Dictionary<string, RpcMethod>(StringComparer.Ordinal);
        foreach (var service in services)
        {
            foreach (var method in service.Contract.GetMethods())
            {
                var attribute = method.GetCustomAttribute<JsonRpcMethodAttribute>()
                    ?? throw new InvalidOperationException($"{service.Contract.Name}.{method.Name} has no [JsonRpcMethod] name");
                var name = attribute.Name ?? throw new InvalidOperationException($"{method.Name} has an empty method name");
                if (!all.TryAdd(name, Build(name, method, service.Implementation)))
                {
                    throw new InvalidOperationException($"two services register {name}");
                }
            }
        }

        methods = all.ToFrozenDictionary(StringComparer.Ordinal);
        byChars = methods.GetAlternateLookup<ReadOnlySpan<char>>();
        longestName = methods.Keys.Max(k => k.Length);
    }

    public IEnumerable<RpcMethod> All => methods.Values;

    public bool TryGet(string name, out RpcMethod method) => methods.TryGetValue(name, out method!);

    /// <summary>
    /// The method named by the UTF-8 bytes <paramref name="utf8Name"/> (unescaped), without making a string of them:
    /// every registered name is ASCII, so a longer or non-ASCII name is none of them.
    /// </summary>
    public bool TryGet(ReadOnlySpan<byte> utf8Name, out RpcMethod method)
    {
        Span<char> chars = stackalloc char[longestName];
        if (utf8Name.Length > longestName || System.Text.Ascii.ToUtf16(utf8Name, chars, out var length) != System.Buffers.OperationStatus.Done)
        {
            method = null!;
            return false;
        }

        return byChars.TryGetValue(chars[..length], out method!);
    }

    /// <summary>
    /// The registered name closest to a mistyped <paramref name="name"/> (case aside, at most two letters
    /// added, dropped or changed), for the method-not-found error; null when none is that close.
    /// </summary>
    public string? Suggest(string name)
    {
        if (name.Length > 64)
        {
            return null;
        }

        string? best = null;
        var bestDistance = 3;
        foreach (var candidate in methods.Keys)
        {
            var distance = EditDistance(name.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (distance < bestDistance)
            {
                (best, bestDistance) = (candidate, distance);
            }
        }

        return best;
    }

    private static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j], current[j - 1]) + 1);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }

    private static RpcMethod Build(string name, MethodInfo method, object target)
    {
        var nullability = new NullabilityInfoContext();
        var parameters = new List<RpcParameter>();
        foreach (var p in method.GetParameters())
        {
            if (p.ParameterType == typeof(CancellationToken))
            {
                continue;
            }

            var acceptsNull = Nullable.GetUnderlyingType(p.ParameterType) is not null
                || (!p.ParameterType.IsValueType && nullability.Create(p).ReadState != NullabilityState.NotNull);
            parameters.Add(new RpcParameter
            {
                WireName = p.GetCustomAttribute<RpcNameAttribute>()?.Name ?? JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name!),
                Position = parameters.Count,
                Type = p.ParameterType,
                IsOptional = p.IsOptional,
                DefaultValue = p.IsOptional ? p.DefaultValue : null,
                AcceptsNull = acceptsNull,
                Expected = JsonTypeDescription.Of(p.ParameterType),
            });
        }

        var resultType = method.ReturnType.IsGenericType && method.ReturnType.GetGenericTypeDefinition() == typeof(Task<>)
            ? method.ReturnType.GetGenericArguments()[0]
            : throw new InvalidOperationException($"{name} must return Task<T>");

        return new RpcMethod
        {
            Name = name,
            Access = method.GetCustomAttribute<RpcAccessAttribute>()?.Access ?? RpcAccess.User,
            SignsInConnection = method.GetCustomAttribute<SignsInConnectionAttribute>() is not null,
            Parameters = parameters,
            ParametersByName = parameters.ToFrozenDictionary(p => p.WireName, StringComparer.Ordinal),
            ResultType = resultType,
            ResultTypeInfo = RpcJson.Options.GetTypeInfo(resultType),
            Method = method,
            Invoke = CompileInvoker(method, target, resultType),
        };
    }

    private static Func<object?[], CancellationToken, ValueTask<object?>> CompileInvoker(MethodInfo method, object target, Type resultType)
    {
        var args = Expression.Parameter(typeof(object?[]), "args");
        var token = Expression.Parameter(typeof(CancellationToken), "cancellationToken");
        var position = 0;
        var callArgs = method.GetParameters().Select(p => p.ParameterType == typeof(CancellationToken)
            ? (Expression)token
            : Expression.Convert(Expression.ArrayIndex(args, Expression.Constant(position++)), p.ParameterType));
        var call = Expression.Call(Expression.Constant(target, method.DeclaringType!), method, callArgs);
        var box = typeof(RpcMethodTable).GetMethod(nameof(BoxResult), BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(resultType);
        var body = Expression.Call(box, call);
        return Expression.Lambda<Func<object?[], CancellationToken, ValueTask<object?>>>(body, args, token).Compile();
    }

    // A method that finished synchronously (a cached answer, say) is boxed without an async state machine.
    private static ValueTask<object?> BoxResult<T>(Task<T> task) =>
        task.IsCompletedSuccessfully ? new ValueTask<object?>(task.Result) : AwaitResult(task);

    private static async ValueTask<object?> AwaitResult<T>(Task<T> task) => await task.ConfigureAwait(false);
}

/// <summary>A service registered with the dispatcher: the contract interface and the object implementing it.</summary>
public sealed record RpcService(Type Contract, object Implementation);
