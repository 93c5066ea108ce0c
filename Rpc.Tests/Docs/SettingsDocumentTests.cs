using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Rpc.Tests.Docs;

/// <summary>
/// Every setting the server binds (each options class with a <c>Section</c>) is in README's settings table
/// and in <c>appsettings.json</c>, and neither names a setting the server does not read: a new option
/// cannot ship undocumented, and a renamed one cannot leave a stale line behind.
/// </summary>
public sealed partial class SettingsDocumentTests
{
    /// <summary>Documented settings that belong to the platform rather than to an options class of the server.</summary>
    private static readonly string[] PlatformSettings = ["Logging:Console:FormatterName", "Logging:Console:FormatterOptions:IncludeScopes"];

    [Test]
    public void Readme_SettingsTable_ListsEveryBoundSettingAndNoOther()
    {
        var documented = ReadmeSettings();
        var bound = BoundSettings().Select(s => s.Documented).Distinct().ToList();
        Assert.That(bound.Where(s => !documented.Contains(s)), Is.Empty, "bound but missing from README's settings table");
        Assert.That(documented.Where(s => !bound.Contains(s) && !PlatformSettings.Contains(s)), Is.Empty, "in README's settings table but bound by no options class");
    }

    [Test]
    public void AppSettings_ListsEveryBoundSettingAndNoOther()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(RepositoryFile("Rpc.Server/appsettings.json")));
        var present = new List<string>();
        Flatten(json.RootElement, "", present);
        var bound = BoundSettings().Select(s => s.Path).ToList();
        Assert.That(bound.Where(s => !present.Contains(s)), Is.Empty, "bound but missing from appsettings.json");
        Assert.That(present.Where(s => !bound.Contains(s) && !s.StartsWith("Logging:", StringComparison.Ordinal)), Is.Empty, "in appsettings.json but bound by no options class");
    }

    [Test]
    public void BoundSettings_FoundByReflection_IncludeKnownOnesFromEverySection()
    {
        // Guards the reflection above: were it to find nothing, the two tests would pass vacuously.
        var paths = BoundSettings().Select(s => s.Path).ToList();
        Assert.That(paths, Does.Contain("Server:ShutdownSeconds").And.Contain("RateLimits:LoginPerAddress:Burst").And.Contain("Gateway:LargeThreshold").And.Contain("Security:MfaIssuer"));
        Assert.That(paths, Has.Count.GreaterThan(80));
    }

    /// <summary>(the leaf's path, the path README documents: the leaf, or for a nested object such as a rate-limit bucket its parent).</summary>
    private static IEnumerable<(string Path, string Documented)> BoundSettings()
    {
        foreach (var type in typeof(Rpc.Server.Transport.ServerOptions).Assembly.GetTypes())
        {
            if (type.GetField("Section", BindingFlags.Public | BindingFlags.Static) is { IsLiteral: true } field && field.GetRawConstantValue() is string section)
            {
                foreach (var property in Settable(type))
                {
                    var path = section + ":" + property.Name;
                    if (IsLeaf(property.PropertyType))
                    {
                        yield return (path, path);
                        continue;
                    }

                    foreach (var nested in Settable(property.PropertyType))
                    {
                        yield return (path + ":" + nested.Name, path);
                    }
                }
            }
        }
    }

    private static IEnumerable<PropertyInfo> Settable(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetSetMethod() is not null);

    private static bool IsLeaf(Type type) =>
        type.IsPrimitive || type.IsEnum || type.IsArray || type == typeof(string) || type == typeof(TimeSpan) || type == typeof(decimal)
        || Nullable.GetUnderlyingType(type) is not null;

    /// <summary>The settings named in the first column of README's tables (<c>`Section:Key`</c>; a bare <c>`Key`</c> after it is in the same section).</summary>
    private static HashSet<string> ReadmeSettings()
    {
        var settings = new HashSet<string>();
        foreach (var line in File.ReadLines(RepositoryFile("README.md")).Where(l => l.StartsWith("| `", StringComparison.Ordinal)))
        {
            var firstCell = line.Split('|')[1];
            string? section = null;
            foreach (Match match in Code().Matches(firstCell))
            {
                var name = match.Groups[1].Value;
                if (name.Contains(':', StringComparison.Ordinal))
                {
                    section = name[..name.LastIndexOf(':')];
                    settings.Add(name);
                }
                else if (section is not null)
                {
                    settings.Add(section + ":" + name);
                }
            }
        }

        return settings;
    }

    private static void Flatten(JsonElement element, string prefix, List<string> paths)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
            {
                Flatten(property.Value, prefix.Length == 0 ? property.Name : prefix + ":" + property.Name, paths);
            }
        }
        else
        {
            paths.Add(prefix);
        }
    }

    private static string RepositoryFile(string name)
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, name)))
        {
            directory = directory.Parent;
        }

        return directory is null ? throw new FileNotFoundException(name) : Path.Combine(directory.FullName, name);
    }

    [GeneratedRegex("`([A-Za-z][A-Za-z0-9:]*)`")]
    private static partial Regex Code();
}
