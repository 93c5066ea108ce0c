using System.Collections.Concurrent;
using System.Globalization;
using System.Resources;
using Rpc.Contracts.Protocol;

namespace Rpc.Server.Dispatch;

/// <summary>The localized <c>message</c> of each error code, from Resources/Messages*.resx.</summary>
public sealed class ErrorMessages
{
    private readonly ResourceManager resources = new("Rpc.Server.Resources.Messages", typeof(ErrorMessages).Assembly);
    private readonly ConcurrentDictionary<(int, string), string> cache = new();

    public string For(int code, CultureInfo culture) =>
        cache.GetOrAdd((code, culture.Name), key => resources.GetString(KeyOf(key.Item1), culture) ?? KeyOf(key.Item1));

    private static string KeyOf(int code) => code switch
    {
        RpcErrorCodes.ParseError => "ParseError",
        RpcErrorCodes.InvalidRequest => "InvalidRequest",
        RpcErrorCodes.MethodNotFound => "MethodNotFound",
        RpcErrorCodes.InvalidParams => "InvalidParams",
        _ => "InternalError",
    };
}
