using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Dapper;
using Microsoft.Data.Sqlite;
using Rpc.Contracts.Protocol;
using Rpc.Server.Dispatch;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Security;

/// <summary>
/// Sends over 20,000 generated bad inputs over HTTP and WebSocket. The methods and their parameters
/// come from the server's <see cref="RpcMethodTable"/>, so methods added later are fuzzed too. Every
/// input is built to be rejected (or, for random mutations of read-only requests, to change nothing),
/// so afterwards the whole database must be exactly as before. Runs on both databases: PostgreSQL is
/// stricter about types than SQLite, so an input that SQLite tolerated could fault there.
/// </summary>
public sealed class FuzzTests
{
    private const int Seed = 20261123;
    private const int Total = 21_000;
    private const string ExistingPassword = "correct horse battery";

    private static readonly string[] Payloads =
    [
        "' OR '1'='1", "'; DROP TABLE users; --", "\" OR \"\"=\"", "admin'--", "1; SELECT * FROM sessions", "') UNION SELECT password_hash FROM users --",
        "%s%s%s%s%s%n", "%x%x%x%x", "{0}{1}{999}", "${jndi:ldap://example.invalid/a}", "{{7*7}}", "\0\0\0", "../../../../etc/passwd",
        "<script>alert(1)</script>", "\u202Eevil", "🙂🙂🙂", "a\r\nX-Injected: 1", "\\u0000", "NaN", "-1", "9223372036854775808", "null", "true",
        "[]", "{}", new string('\'', 5000), new string('%', 70_000), "\uFFFF\uFFFE", "\uD83D", "SELECT 1", "Robert'); DROP TABLE sessions;--",

        // Short in graphemes, huge in bytes: combining-mark runs and Hangul jamo runs.
        "a" + new string('\u0301', 200), "ab" + new string('\u0301', 20_000), "x" + new string('\u0300', 5), "a" + new string('\u1100', 5000),
        string.Concat(Enumerable.Repeat("e\u0301\u0302\u0303\u0304\u0305", 50)),

        // Confusables and mixed scripts: Cyrillic, fullwidth and mathematical look-alikes of Latin names.
        "\u0430dmin", "\u0430\u0434\u043c\u0456\u043f", "\uFF53elfie", "\U0001D42Celfie", "\u0440\u0430\u0443\u0440\u0430l", "adm\u0131n", "\u0391\u0392C",

        // Control, format and default-ignorable characters, before and after NFKC.
        "a\u200Bb", "a\u200Db", "\u2066x\u2069", "\u202Ax\u202C", "\u3164", "\uFFA0name", "\u115Fname", "\uFEFFname", "a\u00ADb", "a\u0000b", "name\n", "a\uFE0Fb",

        // #tag spellings: fullwidth digits, mathematical letters, empty or doubled parts.
        "selfie#1086", "\uFF53elfie#1086", "\U0001D42Celfie#1086", "selfie#\uFF11\uFF10\uFF18\uFF16", "selfie#0000", "selfie##1086", "#1086", "selfie#", "selfie#1e3", "selfie#10860",
    ];

    private enum Expect
    {
        ParseError,
        InvalidRequest,
        InvalidParams,
        AuthenticationRequired,
        AnyError,
        AnyReply,
    }

    private sealed record FuzzCase(byte[] Body, Expect Expect, bool Binary = false);

    [Test]
    [CancelAfter(120_000)]
    public async Task Fuzz_OverTwentyThousandBadInputs_BothTransports_ServerStaysCorrectAndDataUnchanged()
    {
        TestContext.Out.WriteLine($"fuzz seed {Seed}");
        await using var server = await RpcTestServer.StartAsync(new Dictionary<string, string?>
        {
            // One request at a time per WebSocket keeps replies in order, so each reply maps to its input.
            ["Rpc:MaxInFlightPerConnection"] = "1",
            // Failed logins are refused before hashing once these are used up, which keeps the run fast.
            ["RateLimits:LoginPerAddress:Burst"] = "5",
            ["RateLimits:LoginPerAddress:RefillSeconds"] = "3600",
        });
        var existing = await server.NewUserAsync("fz");
        await server.NewUserAsync("fz");
        var before = await SnapshotAsync(server);

        var random = new Random(Seed);
        var cases = Generate(server.Get<RpcMethodTable>(), existing.Username, random);
        Assert.That(cases, Has.Count.GreaterThanOrEqualTo(20_000));
        var http = cases.Where((_, i) => i % 2 == 0).ToList();
        var ws = cases.Where((_, i) => i % 2 == 1).ToList();
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var started = DateTime.UtcNow;
        await Task.WhenAll(
            Task.WhenAll(Enumerable.Range(0, 4).Select(w => RunHttpAsync(server, http.Where((_, i) => i % 4 == w).ToList(), failures))),
            Task.WhenAll(Enumerable.Range(0, 4).Select(w => RunWebSocketAsync(server, ws.Where((_, i) => i % 4 == w).ToList(), failures))));
        TestContext.Out.WriteLine($"{cases.Count} inputs ({http.Count} HTTP, {ws.Count} WebSocket) in {(DateTime.UtcNow - started).TotalSeconds:0.0} s");

        Assert.That(failures.Take(20), Is.Empty, $"{failures.Count} bad replies");
        var alive = await server.ResultAsync("users.check", new { username = existing.Username });
        Assert.That(alive.GetBoolean(), Is.True);
        if (RpcTestServer.Postgres is null)
        {
            using var connection = new SqliteConnection($"Data Source={server.DatabasePath};Mode=ReadOnly;Pooling=False");
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA integrity_check";
            Assert.That(command.ExecuteScalar(), Is.EqualTo("ok"));
        }

        Assert.That(await SnapshotAsync(server), Is.EqualTo(before), "a rejected request changed the database");
    }

    private static async Task RunHttpAsync(RpcTestServer server, List<FuzzCase> cases, System.Collections.Concurrent.ConcurrentQueue<string> failures)
    {
        foreach (var fuzz in cases)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/rpc") { Content = new ByteArrayContent(fuzz.Body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            using var response = await server.Http.SendAsync(request, timeout.Token);
            var text = await response.Content.ReadAsStringAsync(timeout.Token);
            string? problem = response.StatusCode switch
            {
                HttpStatusCode.NoContent => fuzz.Expect == Expect.AnyReply && text.Length == 0 ? null : "unexpected 204",
                HttpStatusCode.OK => Check(text, fuzz.Expect),
                HttpStatusCode.RequestEntityTooLarge => Check(text, Expect.InvalidRequest),
                _ => $"HTTP {(int)response.StatusCode}",
            };
            if (problem is not null)
            {
                failures.Enqueue($"HTTP {Describe(fuzz)}: {problem}; reply {text[..Math.Min(300, text.Length)]}");
            }
        }
    }

    private static async Task RunWebSocketAsync(RpcTestServer server, List<FuzzCase> cases, System.Collections.Concurrent.ConcurrentQueue<string> failures)
    {
        await using var ws = await WsClient.ConnectAsync(server.WebSocketUri);
        var probeId = 0;
        foreach (var fuzz in cases)
        {
            await ws.SendAsync(fuzz.Body, fuzz.Binary ? WebSocketMessageType.Binary : WebSocketMessageType.Text);
            var probe = "probe-" + probeId++;
            await ws.SendAsync($$"""{"jsonrpc":"2.0","method":"fuzz.probe","id":"{{probe}}"}""");
            var replies = new List<string>();
            while (true)
            {
                var text = await ws.ReceiveAsync(TimeSpan.FromSeconds(15));
                if (text is null)
                {
                    failures.Enqueue($"WebSocket {Describe(fuzz)}: no reply or connection closed");
                    return;
                }

                if (text.Contains($"\"{probe}\"", StringComparison.Ordinal))
                {
                    break;
                }

                replies.Add(text);
            }

            var problem = replies.Count switch
            {
                0 => fuzz.Expect == Expect.AnyReply ? null : "no reply",
                1 => Check(replies[0], fuzz.Expect),
                _ => $"{replies.Count} replies",
            };
            if (problem is not null)
            {
                failures.Enqueue($"WebSocket {Describe(fuzz)}: {problem}; reply {string.Join(" | ", replies)[..Math.Min(300, string.Join(" | ", replies).Length)]}");
            }
        }
    }

    private static string Describe(FuzzCase fuzz)
    {
        var text = Encoding.UTF8.GetString(fuzz.Body);
        return $"{fuzz.Expect} input {text[..Math.Min(200, text.Length)]}";
    }

    /// <summary>Null when <paramref name="text"/> is a valid JSON-RPC reply as <paramref name="expect"/> demands, else the problem.</summary>
    private static string? Check(string text, Expect expect)
    {
        JsonElement reply;
        try
        {
            reply = JsonDocument.Parse(text).RootElement;
        }
        catch (JsonException e)
        {
            return "reply is not JSON: " + e.Message;
        }

        if (reply.ValueKind == JsonValueKind.Array)
        {
            if (expect != Expect.AnyReply || reply.GetArrayLength() == 0)
            {
                return "unexpected batch reply";
            }

            return reply.EnumerateArray().Select(r => CheckOne(r, Expect.AnyReply)).FirstOrDefault(p => p is not null);
        }

        return CheckOne(reply, expect);
    }

    private static string? CheckOne(JsonElement reply, Expect expect)
    {
        if (reply.ValueKind != JsonValueKind.Object
            || !reply.TryGetProperty("jsonrpc", out var version) || version.ValueKind != JsonValueKind.String || version.GetString() != "2.0"
            || !reply.TryGetProperty("id", out var id) || id.ValueKind is not (JsonValueKind.String or JsonValueKind.Number or JsonValueKind.Null))
        {
            return "not a JSON-RPC 2.0 response";
        }

        var hasResult = reply.TryGetProperty("result", out _);
        var hasError = reply.TryGetProperty("error", out var error);
        if (hasResult == hasError)
        {
            return "needs exactly one of result and error";
        }

        if (hasResult)
        {
            return expect == Expect.AnyReply ? null : "succeeded but must fail";
        }

        if (!error.TryGetProperty("code", out var codeElement) || !codeElement.TryGetInt32(out var code)
            || !error.TryGetProperty("message", out var message) || message.ValueKind != JsonValueKind.String || message.GetString()!.Length == 0
            || !error.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.String)
        {
            return "malformed error object";
        }

        if (code is not (RpcErrorCodes.ParseError or RpcErrorCodes.InvalidRequest or RpcErrorCodes.MethodNotFound or RpcErrorCodes.InvalidParams or RpcErrorCodes.ApplicationError))
        {
            return $"unknown code {code}";
        }

        if (data.GetString()!.StartsWith("unexpected server error", StringComparison.Ordinal))
        {
            return "server fault: " + data.GetString();
        }

        return expect switch
        {
            Expect.ParseError when code != RpcErrorCodes.ParseError => $"code {code}, expected -32700",
            Expect.InvalidRequest when code != RpcErrorCodes.InvalidRequest => $"code {code}, expected -32600",
            Expect.InvalidParams when code != RpcErrorCodes.InvalidParams => $"code {code}, expected -32602",
            Expect.AuthenticationRequired when code != RpcErrorCodes.ApplicationError || data.GetString() != ErrorData.AuthenticationRequired => $"code {code} {data}, expected authentication required",
            _ => null,
        };
    }

    private static List<FuzzCase> Generate(RpcMethodTable table, string existingUsername, Random random)
    {
        var cases = new List<FuzzCase>();
        var methods = table.All.OrderBy(m => m.Name, StringComparer.Ordinal).ToList();
        void Add(string json, Expect expect) => cases.Add(new FuzzCase(Encoding.UTF8.GetBytes(json), expect));
        string Q(string s) => JsonSerializer.Serialize(s);

        // In the payload cases a payload may be a valid username ("NaN"); a password no rule accepts
        // keeps those requests failing, so the database must still not change.
        var rejectPasswords = false;
        string Filler(RpcParameter p)
        {
            var type = Nullable.GetUnderlyingType(p.Type) ?? p.Type;
            return type switch
            {
                _ when type == typeof(string) => p.WireName.Contains("username", StringComparison.Ordinal) ? Q(existingUsername)
                    : p.WireName.Contains("password", StringComparison.Ordinal) ? Q(rejectPasswords ? "short" : ExistingPassword)
                    : p.WireName.Contains("token", StringComparison.Ordinal) ? Q("not-a-token") : Q("fuzz"),
                _ when type == typeof(long) => "\"1\"",
                _ when type == typeof(int) || type == typeof(short) || type == typeof(double) => "1",
                _ when type == typeof(bool) => "true",
                _ when type.IsArray || (type.IsGenericType && type != typeof(string)) => "[]",
                _ => "{}",
            };
        }

        string[] WrongValues(RpcParameter p)
        {
            var type = Nullable.GetUnderlyingType(p.Type) ?? p.Type;
            var wrong = type == typeof(string) ? new[] { "1", "true", "{}", "[]", "1.5", "{\"a\":\"b\"}", "[\"x\"]" }
                : type == typeof(long) ? ["true", "{}", "[]", "1.5", "\"abc\"", "\"-\"", "123456789012345678901234567890", "\"99999999999999999999\""]
                : type == typeof(int) || type == typeof(short) ? ["\"x\"", "true", "{}", "[]", "1.5", "1e400", "99999999999999999999"]
                : type == typeof(bool) ? ["\"x\"", "1", "{}", "[]"]
                : type.IsArray || type.IsGenericType ? ["\"x\"", "1", "true", "{}"]
                : ["\"x\"", "1", "true", "[]"];
            return p.AcceptsNull ? wrong : [.. wrong, "null"];
        }

        Expect Rejection(RpcMethod m) => m.Access == RpcAccess.Anonymous ? Expect.InvalidParams : Expect.AuthenticationRequired;

        string Request(RpcMethod m, string? parameters, string id = "1") =>
            parameters is null ? $$"""{"jsonrpc":"2.0","method":{{Q(m.Name)}},"id":{{id}}}""" : $$"""{"jsonrpc":"2.0","method":{{Q(m.Name)}},"params":{{parameters}},"id":{{id}}}""";

        string Named(RpcMethod m, RpcParameter target, string value) =>
            "{" + string.Join(",", m.Parameters.Select(p => $"{Q(p.WireName)}:{(p == target ? value : Filler(p))}")) + "}";

        string Positional(RpcMethod m, RpcParameter target, string value) =>
            "[" + string.Join(",", m.Parameters.Select(p => p == target ? value : Filler(p))) + "]";

        // Every parameter of every method, given each wrong JSON type, named and positional, under several ids.
        foreach (var id in new[] { "1", "\"abc\"", "null", "-5", "1e400" })
        {
            foreach (var m in methods)
            {
                foreach (var p in m.Parameters)
                {
                    foreach (var wrong in WrongValues(p))
                    {
                        Add(Request(m, Named(m, p, wrong), id), Rejection(m));
                        Add(Request(m, Positional(m, p, wrong), id), Rejection(m));
                    }
                }

                Add(Request(m, "{\"no_such_parameter\":1}", id), Rejection(m));
                Add(Request(m, "[" + string.Join(",", Enumerable.Repeat("1", m.Parameters.Count + 1)) + "]", id), Rejection(m));
                if (m.Parameters.Any(p => !p.IsOptional))
                {
                    Add(Request(m, "{}", id), Rejection(m));
                }
            }
        }

        // SQL, format-string and other hostile payloads in every string parameter.
        rejectPasswords = true;
        foreach (var m in methods)
        {
            foreach (var p in m.Parameters.Where(p => (Nullable.GetUnderlyingType(p.Type) ?? p.Type) == typeof(string)))
            {
                foreach (var payload in Payloads)
                {
                    var expect = m.Access == RpcAccess.Anonymous ? Expect.AnyReply : Expect.AuthenticationRequired;
                    Add(Request(m, Named(m, p, Q(payload))), expect);
                    Add(Request(m, Positional(m, p, Q(payload))), expect);
                }
            }
        }

        rejectPasswords = false;

        // Malformed envelopes.
        var check = $$"""{"jsonrpc":"2.0","method":"users.check","params":["{{existingUsername}}"],"id":1}""";
        foreach (var envelope in new[]
        {
            """{"method":"users.check","params":["a"],"id":1}""", """{"jsonrpc":"1.0","method":"users.check","id":1}""",
            """{"jsonrpc":2.0,"method":"users.check","id":1}""", """{"jsonrpc":"2.0","method":5,"id":1}""", """{"jsonrpc":"2.0","id":1}""",
            """{"jsonrpc":"2.0","method":null,"id":1}""", """{"jsonrpc":"2.0","method":"users.check","params":"a","id":1}""",
            """{"jsonrpc":"2.0","method":"users.check","params":5,"id":1}""", """{"jsonrpc":"2.0","method":"users.check","params":true,"id":1}""",
            """{"jsonrpc":"2.0","method":"users.check","params":["a"],"id":{}}""", """{"jsonrpc":"2.0","method":"users.check","params":["a"],"id":[1]}""",
            """{"jsonrpc":"2.0","method":"users.check","params":["a"],"id":true}""", """{"jsonrpc":"2.0","method":"users.self","auth":5,"id":1}""",
            """{"jsonrpc":"2.0","method":"users.self","auth":{},"id":1}""", "[]", "1", "\"x\"", "true", "null", "[1,2,3]", "[[]]",
            "[" + string.Join(",", Enumerable.Repeat(check, 101)) + "]",
        })
        {
            Add(envelope, envelope.StartsWith('[') && envelope.Length > 2 && envelope != "[]" && !envelope.StartsWith("[{", StringComparison.Ordinal) ? Expect.AnyReply
                : envelope.StartsWith("[{", StringComparison.Ordinal) ? Expect.InvalidRequest
                : Expect.InvalidRequest);
        }

        Add("""{"jsonrpc":"2.0","method":"users.check","params":[1e400],"id":1}""", Expect.InvalidParams);
        Add("""{"jsonrpc":"2.0","method":"users.check","params":[123456789012345678901234567890123456789],"id":1}""", Expect.InvalidParams);
        Add($$"""{"jsonrpc":"2.0","method":"users.check","params":[{{new string('[', 60)}}{{new string(']', 60)}}],"id":1}""", Expect.InvalidParams);
        Add($$"""{"jsonrpc":"2.0","method":"users.check","params":["{{new string('x', 200_000)}}"],"id":1}""", Expect.AnyReply);
        Add($$"""{"jsonrpc":"2.0","method":"users.check","params":["{{new string('x', 1_100_000)}}"],"id":1}""", Expect.InvalidRequest);

        // Bases for random damage: read-only or failing requests, so no mutation can create anything.
        var bases = new[]
        {
            check,
            $$"""{"jsonrpc":"2.0","method":"users.auth","params":{"username":"{{existingUsername}}","password":"wrong password 1"},"id":"a"}""",
            """{"jsonrpc":"2.0","method":"users.identify","params":["not-a-token"],"id":2}""",
            """{"jsonrpc":"2.0","method":"users.self","auth":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","id":3}""",
            """[{"jsonrpc":"2.0","method":"users.check","params":["a"],"id":1},{"jsonrpc":"2.0","method":"users.logout","id":2}]""",
        };

        while (cases.Count < Total)
        {
            var source = Encoding.UTF8.GetBytes(bases[random.Next(bases.Length)]);
            switch (random.Next(6))
            {
                case 0:
                    // Truncated: every strict prefix of a JSON value is malformed.
                    cases.Add(new FuzzCase(source[..random.Next(source.Length)], Expect.ParseError));
                    break;
                case 1:
                {
                    // Invalid UTF-8 anywhere (sent as a binary frame: RFC 6455 fails a text frame with it).
                    var bytes = (byte[])source.Clone();
                    var bad = new byte[][] { [0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xE2, 0x28, 0xA1], [0xF8] }[random.Next(5)];
                    var at = random.Next(bytes.Length);
                    cases.Add(new FuzzCase([.. bytes[..at], .. bad, .. bytes[at..]], Expect.ParseError, Binary: true));
                    break;
                }

                case 2:
                {
                    // Nesting past the depth limit, inside params or at the top.
                    var depth = 65 + random.Next(3000);
                    var open = random.Next(2) == 0 ? new string('[', depth) : string.Concat(Enumerable.Repeat("{\"a\":", depth));
                    var close = open[0] == '[' ? new string(']', depth) : new string('}', depth);
                    Add(random.Next(2) == 0 ? open + close : $$"""{"jsonrpc":"2.0","method":"users.check","params":[{{open}}1{{close}}],"id":1}""".Replace("[1]", "[]", StringComparison.Ordinal), Expect.ParseError);
                    break;
                }

                case 3:
                {
                    // Random bytes of printable garbage: never valid JSON-RPC, usually not JSON.
                    var garbage = new byte[1 + random.Next(200)];
                    random.NextBytes(garbage);
                    for (var i = 0; i < garbage.Length; i++)
                    {
                        garbage[i] = (byte)(0x21 + (garbage[i] % 0x5E));
                    }

                    garbage[0] = (byte)'!';
                    cases.Add(new FuzzCase(garbage, Expect.ParseError));
                    break;
                }

                default:
                {
                    // One to four random byte edits of a valid request: anything may come back, nothing may change.
                    var bytes = new List<byte>(source);
                    for (var edits = 1 + random.Next(4); edits > 0 && bytes.Count > 1; edits--)
                    {
                        var at = random.Next(bytes.Count);
                        switch (random.Next(3))
                        {
                            case 0: bytes[at] = (byte)(0x20 + random.Next(0x5F)); break;
                            case 1: bytes.RemoveAt(at); break;
                            default: bytes.Insert(at, "{}[]\",:0e-\\"u8[random.Next(11)]); break;
                        }
                    }

                    cases.Add(new FuzzCase([.. bytes], Expect.AnyReply));
                    break;
                }
            }
        }

        return cases;
    }

    /// <summary>
    /// The servers' own traffic, not data: the bus outbox carries rate-limit charges of refused logins (mirrored by other
    /// servers), and the lease and presence tables change with time and connections.
    /// </summary>
    private static readonly HashSet<string> TrafficTables = ["bus_outbox", "cluster_nodes", "presence_connections"];

    /// <summary>Every row of every table but the traffic ones, in a comparable text form (rows sorted, so no table needs a row order).</summary>
    private static async Task<string> SnapshotAsync(RpcTestServer server)
    {
        await using var connection = await server.OpenDatabaseAsync();
        var tables = (await connection.QueryAsync<string>(RpcTestServer.Postgres is null
            ? "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            : "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name")).ToList();
        var text = new StringBuilder();
        foreach (var table in tables.Where(t => !TrafficTables.Contains(t)))
        {
            var rows = new List<string>();
            await using (var select = connection.CreateCommand())
            {
                select.CommandText = $"SELECT * FROM \"{table}\"";
                await using var reader = await select.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    var row = new StringBuilder();
                    for (var i = 0; i < reader.FieldCount; i++)
                    {
                        row.Append(reader.IsDBNull(i) ? "NULL" : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture)).Append('|');
                    }

                    rows.Add(row.ToString());
                }
            }

            rows.Sort(StringComparer.Ordinal);
            text.Append("# ").AppendLine(table);
            foreach (var row in rows)
            {
                text.AppendLine(row);
            }
        }

        return text.ToString();
    }
}
