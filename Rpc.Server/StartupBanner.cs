using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Rpc.Server.Data;
using Rpc.Server.Operations;

namespace Rpc.Server;

/// <summary>
/// Tells whoever started the server where it listens and how to call it, through the logger (so it
/// follows the console format: plain, <c>json</c>, or systemd's), in two lines.
/// </summary>
public static partial class StartupBanner
{
    public static void Print(WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Rpc.Server.Startup");
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];
        var address = addresses.FirstOrDefault() ?? "http://127.0.0.1:8080";
        var database = app.Services.GetRequiredService<DbConnectionFactory>().Description;
        Ready(logger, ServerVersion.Informational, string.Join(", ", addresses.Select(a => $"POST {a}/rpc")),
            string.Join(", ", addresses.Select(a => "ws" + a[4..] + "/rpc")), database);
        TryIt(logger, $$"""curl -s {{address}}/rpc -H 'Content-Type: application/json' -d '{"jsonrpc":"2.0","method":"users.check","params":["alice"],"id":1}'""");
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "JSON-RPC 2.0 server {Version} ready. HTTP: {Http}; WebSocket: {WebSocket}; database: {Database}")]
    private static partial void Ready(ILogger logger, string version, string http, string webSocket, string database);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Try it: {Command}")]
    private static partial void TryIt(ILogger logger, string command);
}
