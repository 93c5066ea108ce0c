using System.Collections.Concurrent;
using System.Globalization;
using System.Resources;
using Microsoft.Extensions.Options;
using Rpc.Contracts.Protocol;

namespace Rpc.Server.Dispatch;

/// <summary>
/// The localized <c>message</c> of each error code, from Resources/Messages*.resx; a caller with no
/// preference (<see cref="LanguageNegotiator.NoPreference"/>) gets the instance's default language.
/// </summary>
public sealed class ErrorMessages(IOptions<LocalizationOptions> options)
{
    private readonly ResourceManager resources = new("Rpc.Server.Resources.Messages", typeof(ErrorMessages).Assembly);
    private readonly ConcurrentDictionary<(int, string), string> cache = new();
    private readonly CultureInfo defaultCulture = LanguageNegotiator.Match(options.Value.DefaultLanguage) ?? LanguageNegotiator.English;

    public string For(int code, CultureInfo culture)
    {
        var language = culture.Equals(LanguageNegotiator.NoPreference) ? defaultCulture : culture;
        return cache.GetOrAdd((code, language.Name), key => resources.GetString(KeyOf(key.Item1), language) ?? KeyOf(key.Item1));
    }

    private static string KeyOf(int code) => code switch
    {
        RpcErrorCodes.ParseError => "ParseError",
        RpcErrorCodes.InvalidRequest => "InvalidRequest",
        RpcErrorCodes.MethodNotFound => "MethodNotFound",
        RpcErrorCodes.InvalidParams => "InvalidParams",
        _ => "InternalError",
    };
}
