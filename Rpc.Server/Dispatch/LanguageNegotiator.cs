using System.Globalization;
using Microsoft.Net.Http.Headers;

namespace Rpc.Server.Dispatch;

/// <summary>
/// Picks the language of error messages from <c>?lang=</c> or <c>Accept-Language</c> (highest q first).
/// Chinese in the Simplified script (zh, zh-CN, zh-SG, zh-Hans) maps to zh-Hans. When the client states no
/// language the server supports, the result is <see cref="NoPreference"/>, which <see cref="ErrorMessages"/>
/// answers in the instance's <c>Localization:DefaultLanguage</c>.
/// </summary>
public static class LanguageNegotiator
{
    public static readonly CultureInfo English = CultureInfo.GetCultureInfo("en");
    private static readonly CultureInfo Chinese = CultureInfo.GetCultureInfo("zh-Hans");
    private static readonly CultureInfo French = CultureInfo.GetCultureInfo("fr");
    private static readonly CultureInfo Turkish = CultureInfo.GetCultureInfo("tr");

    /// <summary>The client named no supported language; the instance default applies.</summary>
    public static CultureInfo NoPreference => CultureInfo.InvariantCulture;

    /// <summary>The languages error messages exist in, by their culture names.</summary>
    public static IReadOnlyList<string> Supported { get; } = [English.Name, Chinese.Name, French.Name, Turkish.Name];

    // A browser sends the same Accept-Language on every request: its answer is remembered rather than parsed again
    // (a parse allocates a value per range). Bounded: past the count the table starts over; long headers are not kept.
    private const int MaxRememberedHeaders = 1024;
    private const int MaxRememberedHeaderLength = 256;
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, CultureInfo> ByHeader = new(StringComparer.Ordinal);
    private static int remembered;

    public static CultureInfo Negotiate(string? queryLanguage, string? acceptLanguage)
    {
        if (!string.IsNullOrWhiteSpace(queryLanguage) && Match(queryLanguage.Trim()) is { } fromQuery)
        {
            return fromQuery;
        }

        if (string.IsNullOrWhiteSpace(acceptLanguage))
        {
            return NoPreference;
        }

        if (acceptLanguage.Length > MaxRememberedHeaderLength)
        {
            return FromAcceptLanguage(acceptLanguage);
        }

        if (ByHeader.TryGetValue(acceptLanguage, out var known))
        {
            return known;
        }

        var culture = FromAcceptLanguage(acceptLanguage);
        if (ByHeader.TryAdd(acceptLanguage, culture) && Interlocked.Increment(ref remembered) > MaxRememberedHeaders)
        {
            // The count is kept here because ConcurrentDictionary.Count takes every lock of the table.
            ByHeader.Clear();
            Interlocked.Exchange(ref remembered, 0);
        }

        return culture;
    }

    private static CultureInfo FromAcceptLanguage(string acceptLanguage)
    {
        if (!StringWithQualityHeaderValue.TryParseList([acceptLanguage], out var ranges))
        {
            return NoPreference;
        }

        CultureInfo? best = null;
        var bestQuality = 0.0;
        foreach (var range in ranges)
        {
            var quality = range.Quality ?? 1.0;
            if (quality > bestQuality && Match(range.Value.Value) is { } culture)
            {
                best = culture;
                bestQuality = quality;
            }
        }

        return best ?? NoPreference;
    }

    /// <summary>The supported culture a language tag names, or null.</summary>
    public static CultureInfo? Match(string? tag)
    {
        if (string.IsNullOrEmpty(tag))
        {
            return null;
        }

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
