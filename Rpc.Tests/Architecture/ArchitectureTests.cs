using System.Reflection;
using System.Runtime.CompilerServices;
using NetArchTest.Rules;
using Rpc.Server;

namespace Rpc.Tests.Architecture;

/// <summary>
/// Keeps Rpc.Server's namespaces in one direction (README, "Architecture"): each layer may use the
/// layers below it and never one above it, so no two namespaces depend on each other.
/// </summary>
public sealed class ArchitectureTests
{
    /// <summary>
    /// Where the layers are composed: <c>Rpc.Server</c> itself (Program, ServerComposition) and the
    /// <c>manage</c> verb, which composes the same services. They may use every layer; no layer uses them.
    /// </summary>
    private static readonly string[] CompositionRoots = ["Rpc.Server", "Rpc.Server.Management"];

    /// <summary>Rpc.Server's layers from the top down, below the composition roots.</summary>
    private static readonly string[] Layers =
    [
        "Rpc.Server.Transport",
        "Rpc.Server.Gateway",
        "Rpc.Server.Dispatch",
        "Rpc.Server.Services",
        "Rpc.Server.Audit",
        "Rpc.Server.Security",
        "Rpc.Server.Events",
        "Rpc.Server.Data",
        "Rpc.Server.Text",
        "Rpc.Server.Operations",
        "Rpc.Server.Errors",
    ];

    private static readonly Assembly Server = typeof(ServerComposition).Assembly;

    public static IEnumerable<TestCaseData> EachLayer() =>
        Layers.Select((layer, index) => new TestCaseData(layer, Layers[..index]).SetName($"Layer_{layer["Rpc.Server.".Length..]}_DependsOnNoLayerAbove"));

    [TestCaseSource(nameof(EachLayer))]
    public void Layer_DependsOnNoLayerAbove(string layer, string[] above)
    {
        // The composition roots' own types count as above every layer.
        // With a dot: a name like Rpc.Server.DatabaseHealthCheck (the root's) is not in Rpc.Server.Data.
        var forbidden = above.Select(ns => ns + ".").Concat(RootTypes()).ToArray();
        var result = Types.InAssembly(Server).That().ResideInNamespace(layer).ShouldNot().HaveDependencyOnAny(forbidden).GetResult();
        var failing = (result.FailingTypeNames ?? []).Where(name => name.StartsWith(layer + ".", StringComparison.Ordinal));
        Assert.That(failing, Is.Empty, $"{layer} must not use {string.Join(", ", above)} or a composition root");
    }

    [Test]
    public void EveryNamespace_HasItsPlaceInTheLayers()
    {
        var namespaces = Server.GetTypes()
            .Where(t => t.Namespace is { } ns && ns.StartsWith("Rpc.Server.", StringComparison.Ordinal) && t.GetCustomAttribute<CompilerGeneratedAttribute>() is null)
            .Select(t => t.Namespace!)
            .Distinct()
            .Where(ns => !CompositionRoots.Contains(ns) && !Layers.Any(layer => ns == layer || ns.StartsWith(layer + ".", StringComparison.Ordinal)));
        Assert.That(namespaces, Is.Empty, "a new namespace needs its place in ArchitectureTests.Layers and README's Architecture section");
    }

    [Test]
    public void Services_KnowNothingOfTheProtocolOrTheTransport()
    {
        var result = Types.InAssembly(Server).That().ResideInNamespace("Rpc.Server.Services").ShouldNot()
            .HaveDependencyOnAny("StreamJsonRpc.", "Microsoft.AspNetCore.Http.", "System.Net.WebSockets.", "System.Text.Json.Utf8JsonWriter")
            .GetResult();
        Assert.That((result.FailingTypeNames ?? []).Where(name => name.StartsWith("Rpc.Server.Services.", StringComparison.Ordinal)), Is.Empty);
    }

    /// <summary>The full names of the composition roots' types, which no layer may use.</summary>
    private static IEnumerable<string> RootTypes() =>
        Server.GetTypes().Where(t => CompositionRoots.Contains(t.Namespace) && !t.IsNested && t.GetCustomAttribute<CompilerGeneratedAttribute>() is null).Select(t => t.FullName!);
}
