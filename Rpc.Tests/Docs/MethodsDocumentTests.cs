using System.Text.RegularExpressions;
using Rpc.Contracts.Protocol;
using Rpc.Server.Dispatch;
using Rpc.Server.Dispatch.OpenRpc;

namespace Rpc.Tests.Docs;

/// <summary>
/// methods.md is generated (<c>./run.sh docs</c>) from docs/methods.template.md and the server's OpenRPC
/// document: it must be exactly what that writes, and so list every registered method.
/// </summary>
public sealed partial class MethodsDocumentTests
{
    private static string RepositoryFile(string name)
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, name)))
        {
            directory = directory.Parent;
        }

        return directory is null ? throw new FileNotFoundException(name) : Path.Combine(directory.FullName, name);
    }

    private static Dictionary<string, string> DocumentedSections()
    {
        var text = File.ReadAllText(RepositoryFile("methods.md"));
        var sections = new Dictionary<string, string>();
        var matches = MethodHeading().Matches(text);
        for (var i = 0; i < matches.Count; i++)
        {
            var end = i + 1 < matches.Count ? matches[i + 1].Index : text.Length;
            sections[matches[i].Groups[1].Value] = text[matches[i].Index..end];
        }

        return sections;
    }

    private static IEnumerable<RpcMethod> Registered() =>
        SharedServer.Instance.Get<RpcMethodTable>().All.Where(m => !m.Name.StartsWith(OpenRpcDocument.ReservedPrefix, StringComparison.Ordinal));

    [Test]
    public void MethodsDocument_IsWhatRunShDocsWrites()
    {
        var template = File.ReadAllText(RepositoryFile(Path.Combine("docs", "methods.template.md")));
        var generated = MethodsMarkdown.Render(template, SharedServer.Instance.Get<OpenRpcDocument>().Json);
        var current = File.ReadAllText(RepositoryFile("methods.md")).ReplaceLineEndings("\n");
        if (current != generated)
        {
            var a = current.Split('\n');
            var b = generated.Split('\n');
            var line = Enumerable.Range(0, Math.Min(a.Length, b.Length)).FirstOrDefault(i => a[i] != b[i], Math.Min(a.Length, b.Length));
            Assert.Fail($"methods.md is stale: run ./run.sh docs (first difference at line {line + 1}: expected \"{(line < b.Length ? b[line] : "")}\", found \"{(line < a.Length ? a[line] : "")}\")");
        }
    }

    [Test]
    public void MethodsDocument_ListsExactlyTheRegisteredMethods()
    {
        var documented = DocumentedSections().Keys.ToHashSet();
        var registered = Registered().Select(m => m.Name).ToHashSet();
        Assert.That(registered.Except(documented), Is.Empty, "registered but missing from methods.md");
        Assert.That(documented.Except(registered), Is.Empty, "in methods.md but not registered");
    }

    [Test]
    public void EveryMethodSection_NamesItsParams_Access_AndExample()
    {
        var sections = DocumentedSections();
        foreach (var method in Registered())
        {
            var section = sections[method.Name];
            foreach (var parameter in method.Parameters)
            {
                Assert.That(section, Does.Contain($"`{parameter.WireName}`"), $"{method.Name} does not document {parameter.WireName}");
            }

            var access = method.Access switch
            {
                RpcAccess.Anonymous => "anyone",
                RpcAccess.User => "authenticated user",
                _ => "staff",
            };
            Assert.That(section, Does.Contain($"**Who:** {access}"), method.Name);
            Assert.That(section, Does.Contain("\"method\":\"" + method.Name + "\"").Or.Contain("\"method\": \"" + method.Name + "\""), $"{method.Name} has no example request");
            Assert.That(section, Does.Contain("\"result\"").Or.Contain("\"error\""), $"{method.Name} has no example response");
        }
    }

    [Test]
    public void EveryOptionalParam_IsMarkedOptional_InItsMethodsTableRow()
    {
        var sections = DocumentedSections();
        var unmarked = new List<string>();
        foreach (var method in Registered())
        {
            foreach (var parameter in method.Parameters.Where(p => p.IsOptional))
            {
                var row = sections[method.Name].Split('\n').FirstOrDefault(line => line.StartsWith($"| `{parameter.WireName}` |", StringComparison.Ordinal));
                if (row is null || !row.Contains("optional", StringComparison.Ordinal))
                {
                    unmarked.Add($"{method.Name} {parameter.WireName}");
                }
            }
        }

        Assert.That(unmarked, Is.Empty, "optional params whose table row does not say optional: " + string.Join("; ", unmarked));
    }

    [Test]
    public void EveryErrorDataStringThatSaysWhenToRetry_StartsWithTheRateLimitPrefix_AndItsSecondsParse()
    {
        var methods = typeof(ErrorData).GetMethods(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Where(m => m.ReturnType == typeof(string) && m.GetParameters() is [{ ParameterType: var t }] && t == typeof(int));
        var constants = typeof(ErrorData).GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Where(f => f.IsLiteral && f.Name != nameof(ErrorData.RateLimitedPrefix))
            .Select(f => (f.Name, Data: (string)f.GetRawConstantValue()!));
        var strings = methods.Select(m => (m.Name, Data: (string)m.Invoke(null, [37])!)).Concat(constants);
        foreach (var (name, data) in strings.Where(s => s.Data.Contains("retry after", StringComparison.OrdinalIgnoreCase) || s.Data.Contains("rate limit", StringComparison.OrdinalIgnoreCase)))
        {
            Assert.That(data, Does.StartWith(ErrorData.RateLimitedPrefix), name);
            Assert.That(ErrorData.RetryAfterSeconds(data), Is.EqualTo(37), name);
        }
    }

    [Test]
    public void EveryErrorDataString_IsListedInMethodsDocument()
    {
        var text = File.ReadAllText(RepositoryFile("methods.md"));
        var constants = typeof(ErrorData).GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Where(f => f.IsLiteral)
            .Select(f => (string)f.GetRawConstantValue()!);
        foreach (var data in constants)
        {
            Assert.That(text, Does.Contain(data), "methods.md does not list this error data");
        }
    }

    [GeneratedRegex(@"^### `([a-z][A-Za-z0-9_.]*)`", RegexOptions.Multiline)]
    private static partial Regex MethodHeading();
}
