using System.Globalization;
using System.Reflection;
using Rpc.Contracts.Protocol;

namespace Rpc.Server.Dispatch.OpenRpc;

/// <summary>
/// One error <c>data</c> string of <see cref="ErrorData"/>: its member name, its text with each value it
/// carries shown as <c>&lt;name&gt;</c>, the fixed prefix a client can match when it carries values, and
/// its meaning (the member's doc comment).
/// </summary>
public sealed record ErrorDescription(string Name, string Template, string? Prefix, string Meaning);

/// <summary>Every error <c>data</c> string the API defines, read from <see cref="ErrorData"/> by reflection.</summary>
public static class ErrorCatalogue
{
    // Large and odd, so it cannot occur in a template's fixed text.
    private const int Sentinel = 7_340_033;

    /// <summary>Members of <see cref="ErrorData"/> that build or read data strings rather than being one.</summary>
    private static readonly HashSet<string> Builders = [nameof(ErrorData.RateLimitedPrefix), nameof(ErrorData.RateLimited), nameof(ErrorData.RetryAfterSeconds)];

    /// <summary>Every data string, by member name, in declaration order of the source files.</summary>
    public static IReadOnlyList<ErrorDescription> Read(ContractDocumentation documentation)
    {
        var flags = BindingFlags.Public | BindingFlags.Static;
        var constants = typeof(ErrorData).GetFields(flags)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string) && !Builders.Contains(f.Name))
            .Select(f => new ErrorDescription(f.Name, (string)f.GetRawConstantValue()!, null, documentation.Summary(f) ?? ""));
        var templates = typeof(ErrorData).GetMethods(flags)
            .Where(m => m.ReturnType == typeof(string) && !Builders.Contains(m.Name))
            .Select(m => Describe(m, documentation));
        return constants.Concat(templates).OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
    }

    private static ErrorDescription Describe(MethodInfo method, ContractDocumentation documentation)
    {
        var parameters = method.GetParameters();
        var args = parameters.Select(p => Placeholder(p)).ToArray();
        var text = (string)method.Invoke(null, args)!;
        var firstValue = int.MaxValue;
        foreach (var p in parameters)
        {
            var shown = $"<{p.Name}>";
            var raw = p.ParameterType == typeof(string) || p.ParameterType == typeof(IEnumerable<string>) ? shown : Sentinel.ToString(CultureInfo.InvariantCulture);
            var at = text.IndexOf(raw, StringComparison.Ordinal);
            if (at >= 0)
            {
                firstValue = Math.Min(firstValue, at);
                text = text.Replace(raw, shown, StringComparison.Ordinal);
            }
        }

        var prefix = firstValue == int.MaxValue ? null : text[..firstValue];
        return new ErrorDescription(method.Name, text, string.IsNullOrEmpty(prefix) ? null : prefix, documentation.Summary(method) ?? "");
    }

    private static object Placeholder(ParameterInfo p) => p.ParameterType switch
    {
        var t when t == typeof(string) => $"<{p.Name}>",
        var t when t == typeof(int) => Sentinel,
        var t when t == typeof(long) => (long)Sentinel,
        var t when t == typeof(IEnumerable<string>) => new[] { $"<{p.Name}>" },
        var t => throw new InvalidOperationException($"ErrorData.{p.Member.Name}: no placeholder for a {t.Name} parameter"),
    };
}
