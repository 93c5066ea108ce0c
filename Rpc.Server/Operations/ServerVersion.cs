using System.Reflection;

namespace Rpc.Server.Operations;

/// <summary>
/// The server's one version string: the build's informational version (<c>Version</c> in
/// Directory.Build.props, plus <c>+commit</c> when the build ran in a git checkout). The banner,
/// <c>/healthz</c>, <c>/readyz</c>, the start-up log line and the metrics' meter all show this one.
/// </summary>
public static class ServerVersion
{
    public static string Informational { get; } =
        typeof(ServerVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
}
