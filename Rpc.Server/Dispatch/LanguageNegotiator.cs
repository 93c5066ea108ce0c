using System.Globalization;

namespace Rpc.Server.Dispatch;

/// <summary>
/// Picks the language of error messages from <c>?lang=</c> or <c>Accept-Language</c> (highest q first);
/// English when nothing matches. Chinese in the Simplified script (zh, zh-CN, zh-SG, zh-Hans) maps to zh-Hans.
/// </summary>
public static class LanguageNegotiator
{
    public static readonly CultureInfo English = CultureInfo.GetCultureInfo("en");
    private static readonly CultureInfo Chinese = CultureInfo.GetCultureInfo("zh-Hans");
    private static readonly CultureInfo French = CultureInfo.GetCultureInfo("fr");
    private static readonly CultureInfo Turkish = CultureInfo.GetCultureInfo("tr");

    public static CultureInfo Negotiate(string? queryLanguage, string? acceptLanguage)
    {
        if (!string.IsNullOrWhiteSpace(queryLanguage) && Match(queryLanguage.Trim()) is { } fromQuery)
        {
            return fromQuery;
        }

        if (string.IsNullOrWhiteSpace(acceptLanguage))
        {
            return English;
        }

        CultureInfo? best = null;
        var bestQuality = -1.0;
        foreach (var range in acceptLanguage.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = range.Split(';', StringSplitOptions.TrimEntries);
            var quality = 1.0;
            foreach (var parameter in parts.Skip(1))
            {
                if (parameter.StartsWith("q=", StringComparison.OrdinalIgnoreCase)
                    && !double.TryParse(parameter.AsSpan(2), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out quality))
                {
                    quality = 0;
                }
            }

            if (quality > bestQuality && quality > 0 && Match(parts[0]) is { } culture)
            {
                best = culture;
                bestQuality = quality;
            }
        }

        return best ?? English;
    }

    private static CultureInfo? Match(string tag)
    {
        var lower = tag.ToLowerInvariant();
        var primary = lower.Split('-', '_')[0];
        return primary switch
        {
            "en" => English,
            "fr" => French,
            "tr" => Turkish,
            "zh" when !(lower.Contains("hant") || lower.EndsWith("-tw") || lower.EndsWith("-hk") || lower.EndsWith("-mo")) => Chinese,
            _ => null,
        };
    }
}
