using System.Net.WebSockets;
using System.Text;

// A minimal WebSocket client for the README and for scripts: each line read from standard input (or
// each argument after the URL) is sent as one text frame, after the reply to the previous request
// (so a users.auth is done before the request that relies on it); every message the server sends is
// printed on its own line. With arguments it waits for as many replies as it sent frames, then a little
// longer for pushed events (--linger seconds, default 1); reading stdin it runs until stdin closes.
var url = args.Length > 0 && !args[0].StartsWith('{') && !args[0].StartsWith('[') ? args[0] : "ws://127.0.0.1:8080/rpc";
var rest = args.SkipWhile(a => a == url).ToList();
var linger = TimeSpan.FromSeconds(1);
var lingerAt = rest.IndexOf("--linger");
if (lingerAt >= 0 && lingerAt + 1 < rest.Count)
{
    linger = TimeSpan.FromSeconds(double.Parse(rest[lingerAt + 1], System.Globalization.CultureInfo.InvariantCulture));
    rest.RemoveRange(lingerAt, 2);
}

var waiting = new System.Collections.Concurrent.ConcurrentDictionary<string, TaskCompletionSource>();
using var socket = new ClientWebSocket();
try
{
    await socket.ConnectAsync(new Uri(url), CancellationToken.None);
}
catch (Exception e) when (e is WebSocketException or HttpRequestException)
{
    Console.Error.WriteLine($"cannot connect to {url}: {e.Message}");
    return 1;
}

var receiving = Task.Run(async () =>
{
    var buffer = new byte[64 * 1024];
    var message = new MemoryStream();
    while (socket.State == WebSocketState.Open)
    {
        WebSocketReceiveResult result;
        try
        {
            result = await socket.ReceiveAsync(buffer, CancellationToken.None);
        }
        catch (WebSocketException)
        {
            return;
        }

        if (result.MessageType == WebSocketMessageType.Close)
        {
            Console.Error.WriteLine($"closed by server: {(int?)result.CloseStatus} {result.CloseStatusDescription}");
            return;
        }

        message.Write(buffer, 0, result.Count);
        if (result.EndOfMessage)
        {
            var text = Encoding.UTF8.GetString(message.ToArray());
            Console.WriteLine(text);
            message.SetLength(0);
            if (IdOf(text) is { } id && waiting.TryRemove(id, out var done))
            {
                done.TrySetResult();
            }
        }
    }
});

async Task SendAsync(string text)
{
    var id = IdOf(text);
    var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    if (id is not null)
    {
        waiting[id] = done;
    }

    await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);
    if (id is not null)
    {
        await Task.WhenAny(done.Task, receiving, Task.Delay(TimeSpan.FromSeconds(30)));
    }
}

// The id of a request or a reply (a batch counts by its first member), or null for notifications.
static string? IdOf(string json)
{
    try
    {
        using var document = System.Text.Json.JsonDocument.Parse(json);
        var root = document.RootElement;
        if (root.ValueKind == System.Text.Json.JsonValueKind.Array && root.GetArrayLength() > 0)
        {
            root = root[0];
        }

        return root.ValueKind == System.Text.Json.JsonValueKind.Object && root.TryGetProperty("id", out var id) ? id.GetRawText() : null;
    }
    catch (System.Text.Json.JsonException)
    {
        return null;
    }
}

if (rest.Count > 0)
{
    foreach (var frame in rest)
    {
        await SendAsync(frame);
    }
}
else
{
    while (Console.In.ReadLine() is { } line)
    {
        if (line.Trim().Length > 0)
        {
            await SendAsync(line);
        }
    }
}

await Task.WhenAny(receiving, Task.Delay(linger));
if (socket.State == WebSocketState.Open)
{
    await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
}

return 0;
