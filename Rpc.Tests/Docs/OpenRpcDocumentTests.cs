using System.Text.Json;
using Rpc.Contracts.Protocol;
using Rpc.Server.Dispatch;
using Rpc.Server.Dispatch.OpenRpc;
using Rpc.Server.Operations;
using Rpc.Server.Services;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Docs;

/// <summary>rpc.discover and GET /openrpc.json: the OpenRPC document generated from the method table and contracts.</summary>
public sealed class OpenRpcDocumentTests
{
    private static RpcTestServer Server => SharedServer.Instance;

    private static async Task<JsonElement> ServedDocumentAsync()
    {
        using var response = await Server.Http.GetAsync(new Uri(Server.BaseUri, "/openrpc.json"));
        Assert.That(response.IsSuccessStatusCode, Is.True);
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    private static Dictionary<string, JsonElement> MethodsOf(JsonElement document) =>
        document.GetProperty("methods").EnumerateArray().ToDictionary(m => m.GetProperty("name").GetString()!);

    [TestCase(TransportKind.Http)]
    [TestCase(TransportKind.WebSocket)]
    public async Task Discover_WithoutToken_ReturnsTheDocumentServedAtOpenRpcJson(TransportKind transport)
    {
        await using var calls = await TransportCalls.OpenAsync(Server, transport);
        var discovered = await calls.ResultAsync("rpc.discover");
        var served = await ServedDocumentAsync();
        Assert.That(JsonElement.DeepEquals(discovered, served), Is.True, "rpc.discover and /openrpc.json differ");
        Assert.That(served.GetProperty("openrpc").GetString(), Is.EqualTo("1.3.2"));
        Assert.That(served.GetProperty("info").GetProperty("version").GetString(), Is.EqualTo(ServerVersion.Informational));
    }

    [Test]
    public async Task Document_DescribesEveryRegisteredMethod_WithItsParams_Access_ErrorsAndAnExample()
    {
        var methods = MethodsOf(await ServedDocumentAsync());
        var registered = Server.Get<RpcMethodTable>().All.Where(m => !m.Name.StartsWith("rpc.", StringComparison.Ordinal)).ToList();
        Assert.That(methods.Keys, Is.EquivalentTo(registered.Select(m => m.Name)));
        foreach (var method in registered)
        {
            var node = methods[method.Name];
            var parameters = node.GetProperty("params").EnumerateArray().ToList();
            Assert.That(parameters.Select(p => p.GetProperty("name").GetString()), Is.EqualTo(method.Parameters.Select(p => p.WireName)), method.Name);
            Assert.That(parameters.Select(p => p.GetProperty("required").GetBoolean()), Is.EqualTo(method.Parameters.Select(p => !p.IsOptional)), method.Name);
            Assert.That(node.GetProperty("x-access").GetString(), Is.EqualTo(method.Access.ToString().ToLowerInvariant()), method.Name);
            Assert.That(node.GetProperty("examples").GetArrayLength(), Is.GreaterThan(0), $"{method.Name} has no example in examples.json");
            Assert.That(MethodErrors.ByMethod.ContainsKey(method.Name), Is.True, $"{method.Name} has no entry in MethodErrors");
            var data = node.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("data").GetString()).ToList();
            Assert.That(data, Does.Contain(ErrorData.DatabaseBusy), method.Name);
            if (method.Access != RpcAccess.Anonymous)
            {
                Assert.That(data, Does.Contain(ErrorData.InvalidToken), method.Name);
            }

            Assert.That(node.TryGetProperty("x-pagination", out _), Is.EqualTo(method.ParametersByName.ContainsKey("limit")), method.Name);
        }
    }

    [Test]
    public async Task ParamLimits_AreTheOnesTheValidatorsUse_AndTheServerEnforcesThem()
    {
        var create = MethodsOf(await ServedDocumentAsync())["users.create"];
        var username = create.GetProperty("params")[0].GetProperty("schema");
        Assert.That(username.GetProperty("minLength").GetInt32(), Is.EqualTo(AccountRules.UsernameMinLength));
        Assert.That(username.GetProperty("maxLength").GetInt32(), Is.EqualTo(AccountRules.UsernameMaxLength));

        // One past the documented maximum is refused with the documented error; the maximum itself is accepted.
        var max = username.GetProperty("maxLength").GetInt32();
        var tooLong = await Server.ErrorAsync("users.create", new { username = new string('a', max + 1), password = "correct horse battery" });
        Assert.That(tooLong.GetProperty("data").GetString(), Is.EqualTo(ErrorData.UsernameLength));
        Assert.That(create.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("data").GetString()), Does.Contain(ErrorData.UsernameLength));
        var atMax = "m" + Guid.NewGuid().ToString("N")[..(max - 1)];
        await Server.ResultAsync("users.create", new { username = atMax, password = "correct horse battery" });

        var guilds = MethodsOf(await ServedDocumentAsync())["users.guilds"];
        var limit = guilds.GetProperty("params")[0].GetProperty("schema").GetProperty("oneOf")[0];
        Assert.That(limit.GetProperty("maximum").GetInt32(), Is.EqualTo(Paging.MaxLimit));
        var user = await Server.NewUserAsync();
        var overLimit = await Server.ErrorAsync("users.guilds", new { limit = Paging.MaxLimit + 1 }, user.Token);
        Assert.That(overLimit.GetProperty("data").GetString(), Is.EqualTo(ErrorData.LimitRange));
        var slug = MethodsOf(await ServedDocumentAsync())["admin.roles.create"].GetProperty("params")[1].GetProperty("schema");
        Assert.That(slug.GetProperty("pattern").GetString(), Is.EqualTo(DiscordRules.SlugPattern.Replace(@"\z", "$", StringComparison.Ordinal)));
    }

    [Test]
    public async Task ErrorCatalogue_ListsEveryErrorDataString_WithItsMeaning_AndPrefixesForThoseCarryingValues()
    {
        var catalogue = (await ServedDocumentAsync()).GetProperty("x-error-catalogue").EnumerateArray().ToDictionary(e => e.GetProperty("name").GetString()!);
        var constants = typeof(ErrorData).GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Where(f => f.IsLiteral && f.Name != nameof(ErrorData.RateLimitedPrefix));
        foreach (var constant in constants)
        {
            Assert.That(catalogue[constant.Name].GetProperty("data").GetString(), Is.EqualTo((string)constant.GetRawConstantValue()!));
            Assert.That(catalogue[constant.Name].GetProperty("meaning").GetString(), Is.Not.Empty, constant.Name);
        }

        var loginLimit = catalogue[nameof(ErrorData.TooManyLoginAttempts)];
        Assert.That(loginLimit.GetProperty("prefix").GetString(), Is.EqualTo(ErrorData.RateLimitedPrefix));
        Assert.That(loginLimit.GetProperty("data").GetString(), Is.EqualTo("rate limited: retry after <seconds> seconds: too many failed login attempts"));
        Assert.That(loginLimit.GetProperty("methods").EnumerateArray().Select(m => m.GetString()), Does.Contain("users.auth"));
        Assert.That(catalogue[nameof(ErrorData.UsernameTaken)].GetProperty("prefix").GetString(), Is.EqualTo("User with username "));
    }

    [Test]
    public async Task GatewayEvents_AreDescribedUnderComponents_ByName()
    {
        var schemas = (await ServedDocumentAsync()).GetProperty("components").GetProperty("schemas");
        var ready = schemas.GetProperty("GatewayEvent_READY");
        Assert.That(ready.GetProperty("properties").GetProperty("t").GetProperty("const").GetString(), Is.EqualTo("READY"));
        Assert.That(ready.GetProperty("properties").GetProperty("d").GetProperty("$ref").GetString(), Is.EqualTo("#/components/schemas/ReadyPayload"));
        Assert.That(schemas.GetProperty("ReadyPayload").GetProperty("properties").TryGetProperty("session_id", out _), Is.True);
        Assert.That(schemas.GetProperty("GatewayEvent").GetProperty("oneOf").GetArrayLength(), Is.EqualTo(Rpc.Contracts.Gateway.GatewayEventPayloads.All.Count));
    }
}
