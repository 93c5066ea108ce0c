using System.Buffers;
using System.Net;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Rpc.Bench;

/// <summary>
/// The ceilings: a bare Kestrel app with the same listener settings as the server. <c>POST /rpc</c>
/// reads the whole body and writes fixed reply bytes (the server's own reply to the same request);
/// a WebSocket at <c>/rpc</c> echoes every message. Anything the server does beyond this is its cost.
/// </summary>
public static class CeilingServer
{
    public static async Task RunAsync(string[] args)
    {
        var reply = Convert.FromBase64String(args[Array.IndexOf(args, "--reply") + 1]);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, 0);
            kestrel.AddServerHeader = false;
        });
        var app = builder.Build();
        app.UseWebSockets();
        app.Map("/rpc", async context =>
        {
            if (context.WebSockets.IsWebSocketRequest)
            {
                using var socket = await context.WebSockets.AcceptWebSocketAsync();
                await EchoAsync(socket);
                return;
            }

            var reader = context.Request.BodyReader;
            while (true)
            {
                var read = await reader.ReadAsync();
                reader.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted)
                {
                    break;
                }
            }

            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/json; charset=utf-8";
            context.Response.ContentLength = reply.Length;
            await context.Response.Body.WriteAsync(reply);
        });
        await app.StartAsync();
        var address = app.Urls.First();
        Console.WriteLine($"ceiling ready: POST {address}/rpc");
        await app.WaitForShutdownAsync();
    }

    private static async Task EchoAsync(WebSocket socket)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            while (true)
            {
                var length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                        return;
                    }

                    length += result.Count;
                }
                while (!result.EndOfMessage);

                await socket.SendAsync(buffer.AsMemory(0, length), WebSocketMessageType.Text, true, CancellationToken.None);
            }
        }
        catch (WebSocketException)
        {
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
