using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Rpc.Server.Dispatch.OpenRpc;

/// <summary>
/// The XML doc comments of Rpc.Contracts (its documentation file, built next to the assembly), as plain
/// Markdown-ish text: the descriptions of the OpenRPC document come from the same comments .NET clients read.
/// </summary>
public sealed partial class ContractDocumentation
{
    private readonly Dictionary<string, XElement> members = new(StringComparer.Ordinal);

    private ContractDocumentation(XDocument? document)
    {
        foreach (var member in document?.Root?.Element("members")?.Elements("member") ?? [])
        {
            var name = (string?)member.Attribute("name");
            if (name is null)
            {
                continue;
            }

            // Contract methods are never overloaded, so the name without its parameter list is a key.
            var paren = name.IndexOf('(');
            members[paren < 0 ? name : name[..paren]] = member;
        }
    }

    /// <summary>Reads the documentation file of <paramref name="assembly"/>; empty when the file is absent.</summary>
    public static ContractDocumentation For(Assembly assembly)
    {
        var path = Path.ChangeExtension(assembly.Location, ".xml");
        return new ContractDocumentation(File.Exists(path) ? XDocument.Load(path) : null);
    }

    public string? Summary(MemberInfo member) => Text(Find(member)?.Element("summary"));

    public string? Parameter(MethodInfo method, string name) =>
        Text(Find(method)?.Elements("param").FirstOrDefault(p => (string?)p.Attribute("name") == name));

    private XElement? Find(MemberInfo member)
    {
        var prefix = member switch
        {
            Type => "T:",
            MethodInfo => "M:",
            PropertyInfo => "P:",
            FieldInfo => "F:",
            _ => "",
        };
        var type = member as Type ?? member.DeclaringType!;
        var name = member is Type ? type.FullName : $"{type.FullName}.{member.Name}";
        return members.GetValueOrDefault(prefix + name?.Replace('+', '.'));
    }

    private static string? Text(XElement? element)
    {
        if (element is null)
        {
            return null;
        }

        var parts = element.Nodes().Select(node => node switch
        {
            XText text => text.Value,
            XElement { Name.LocalName: "c" } code => $"`{code.Value}`",
            XElement { Name.LocalName: "see" or "seealso" } see => ShortName((string?)see.Attribute("cref") ?? (string?)see.Attribute("langword") ?? ""),
            XElement { Name.LocalName: "paramref" or "typeparamref" } reference => $"`{(string?)reference.Attribute("name")}`",
            XElement other => other.Value,
            _ => "",
        });
        var joined = Whitespace().Replace(string.Concat(parts), " ").Trim();
        return joined.Length == 0 ? null : joined;
    }

    private static string ShortName(string cref)
    {
        var name = cref.Contains(':') ? cref[(cref.IndexOf(':') + 1)..] : cref;
        var paren = name.IndexOf('(');
        name = paren < 0 ? name : name[..paren];
        var dot = name.LastIndexOf('.');
        return $"`{(dot < 0 ? name : name[(dot + 1)..])}`";
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
