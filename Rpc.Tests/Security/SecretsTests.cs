using System.Text.Json;
using Dapper;
using Microsoft.Data.Sqlite;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Security;

public sealed class SecretsTests
{
    [Test]
    public async Task TokensAndPasswords_NeverLoggedOrEchoed_OutsideTheOneIssue()
    {
        await using var server = await RpcTestServer.StartAsync(new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Trace" });
        var username = "s" + Guid.NewGuid().ToString("N")[..10];
        var password = "Pw-" + Guid.NewGuid().ToString("N");
        var wrongPassword = "Wrong-" + Guid.NewGuid().ToString("N");
        var replies = new List<string>();

        async Task<JsonElement> Call(string body, string? bearer = null)
        {
            using var response = await server.PostAsync(body, bearer: bearer);
            var text = await response.Content.ReadAsStringAsync();
            replies.Add(text);
            return JsonDocument.Parse(text).RootElement.Clone();
        }

        await Call($$"""{"jsonrpc":"2.0","method":"users.create","params":{"username":"{{username}}","password":"{{password}}"},"id":1}""");
        var auth = await Call($$"""{"jsonrpc":"2.0","method":"users.auth","params":{"username":"{{username}}","password":"{{password}}"},"id":2}""");
        var token = auth.GetProperty("result").GetProperty("token").GetString()!;
        var issue = replies[^1];
        await Call($$"""{"jsonrpc":"2.0","method":"users.auth","params":{"username":"{{username}}","password":"{{wrongPassword}}"},"id":3}""");
        await Call("""{"jsonrpc":"2.0","method":"users.self","id":4}""", bearer: token);
        await Call($$"""{"jsonrpc":"2.0","method":"users.self","auth":"{{token}}","id":5}""");
        await Call($$"""{"jsonrpc":"2.0","method":"users.identify","params":["{{token}}"],"id":6}""");
        // A token one character off, and a password in the wrong place: errors must not repeat them.
        var nearToken = token[..^1] + (token[^1] == 'A' ? 'B' : 'A');
        await Call($$"""{"jsonrpc":"2.0","method":"users.self","auth":"{{nearToken}}","id":7}""");
        await Call($$"""{"jsonrpc":"2.0","method":"users.check","params":{"username":"{{username}}","password":"{{password}}"},"id":8}""");
        await Call($$"""{"jsonrpc":"2.0","method":"users.create","params":{"username":"{{username}}","password":{{JsonSerializer.Serialize(password)}},"extra":1},"id":9}""");
        await using (var ws = await WsClient.ConnectAsync(server.WebSocketUri))
        {
            replies.Add((await ws.CallAsync($$"""{"jsonrpc":"2.0","method":"users.identify","params":["{{token}}"],"id":10}""")).ToString());
            replies.Add((await ws.CallAsync("""{"jsonrpc":"2.0","method":"users.self","id":11}""")).ToString());
            replies.Add((await ws.CallAsync("""{"jsonrpc":"2.0","method":"users.logout","id":12}""")).ToString());
        }

        var secrets = new[] { password, wrongPassword, token, nearToken };
        var logs = CapturingLoggerProvider.Lines.ToArray();
        Assert.That(logs, Is.Not.Empty, "the capture must see the server's logs");
        foreach (var secret in secrets)
        {
            Assert.That(logs.Where(l => l.Contains(secret, StringComparison.Ordinal)), Is.Empty, "a secret reached the logs");
            Assert.That(replies.Where(r => r != issue && r.Contains(secret, StringComparison.Ordinal)), Is.Empty, "a secret was echoed in a reply");
        }

        Assert.That(issue, Does.Contain(token));

        // The database holds neither: sessions store the token's SHA-256, users an Argon2id PHC string.
        await using var connection = await server.OpenDatabaseAsync();
        var stored = string.Join("\n", await connection.QueryAsync<string>(
            "SELECT token_hash FROM sessions UNION ALL SELECT password_hash FROM users"));
        Assert.That(stored, Does.Not.Contain(token).And.Not.Contain(password));
    }
}
