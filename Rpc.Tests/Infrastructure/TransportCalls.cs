using System.Text.Json;

namespace Rpc.Tests.Infrastructure;

/// <summary>
/// Calls methods over one transport, so a fixture parameterized by <see cref="TransportKind"/> proves each
/// rule over HTTP and over a WebSocket. On the WebSocket, every call carries its token in the
/// <c>auth</c> member of one shared connection.
/// </summary>
public sealed class TransportCalls : IAsyncDisposable
{
    private readonly RpcTestServer server;
    private readonly GatewayClient? ws;
    private readonly SemaphoreSlim gate = new(1, 1);

    private TransportCalls(RpcTestServer server, GatewayClient? ws)
    {
        this.server = server;
        this.ws = ws;
    }

    public static async Task<TransportCalls> OpenAsync(RpcTestServer server, TransportKind transport) =>
        new(server, transport == TransportKind.WebSocket ? await GatewayClient.ConnectAsync(server) : null);

    /// <summary>The whole response object of one call.</summary>
    public async Task<JsonElement> CallAsync(string method, object? parameters, string? token)
    {
        if (ws is null)
        {
            return await server.CallAsync(method, parameters, token);
        }

        // One reader of the shared socket at a time.
        await gate.WaitAsync();
        try
        {
            return await ws.CallAsync(method, parameters, token);
        }
        finally
        {
            gate.Release();
        }
    }

    public async Task<JsonElement> ResultAsync(string method, object? parameters = null, string? token = null)
    {
        var response = await CallAsync(method, parameters, token);
        Assert.That(response.TryGetProperty("result", out var result), Is.True, $"{method} failed: {response}");
        return result;
    }

    public async Task<JsonElement> ErrorAsync(string method, object? parameters = null, string? token = null)
    {
        var response = await CallAsync(method, parameters, token);
        Assert.That(response.TryGetProperty("error", out var error), Is.True, $"{method} should have failed: {response}");
        return error;
    }

    /// <summary>The error's <c>data</c> string.</summary>
    public async Task<string> ErrorDataAsync(string method, object? parameters = null, string? token = null) =>
        (await ErrorAsync(method, parameters, token)).GetProperty("data").GetString()!;

    public async ValueTask DisposeAsync()
    {
        if (ws is not null)
        {
            await ws.DisposeAsync();
        }

        gate.Dispose();
    }
}
