using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Rpc.Server.Data;

namespace Rpc.Server;

/// <summary>Tells whoever started the server where it listens and how to call it.</summary>
public static class StartupBanner
{
    public static void Print(WebApplication app)
    {
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? "http://127.0.0.1:8080";
        var database = app.Services.GetRequiredService<DbConnectionFactory>().Description;
        var ws = "ws" + address[4..];
        Console.WriteLine($$"""

            JSON-RPC 2.0 server ready.
              HTTP:      POST {{address}}/rpc
              WebSocket: {{ws}}/rpc
              Database:  {{database}}

            Try it:
              curl -s {{address}}/rpc -H 'Content-Type: application/json' \
                -d '{"jsonrpc":"2.0","method":"users.check","params":["alice"],"id":1}'

            """);
    }
}
