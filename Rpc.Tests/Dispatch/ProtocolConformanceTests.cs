using System.Text.Json;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Dispatch;

/// <summary>The JSON-RPC 2.0 specification's examples and edge cases, on both transports.</summary>
[TestFixture(TransportKind.Http)]
[TestFixture(TransportKind.WebSocket)]
public sealed class ProtocolConformanceTests(TransportKind transport)
{
    private RpcTransportClient client = null!;

    [SetUp]
    public async Task ConnectAsync() => client = await RpcTransportClient.ConnectAsync(SharedServer.Instance, transport);

    [TearDown]
    public async Task DisconnectAsync() => await client.DisposeAsync();

    private static void AssertError(JsonElement response, int code, JsonElement? id = null)
    {
        Assert.That(response.GetProperty("jsonrpc").GetString(), Is.EqualTo("2.0"));
        Assert.That(response.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(code), response.ToString());
        Assert.That(response.GetProperty("error").GetProperty("message").GetString(), Is.Not.Empty);
        Assert.That(response.GetProperty("error").GetProperty("data").GetString(), Is.Not.Empty);
        if (id is null)
        {
            Assert.That(response.GetProperty("id").ValueKind, Is.EqualTo(JsonValueKind.Null));
        }
        else
        {
            Assert.That(response.GetProperty("id").ToString(), Is.EqualTo(id.Value.ToString()));
        }
    }

    [Test]
    public async Task Call_NamedParams_ReturnsResultWithSameId()
    {
        var response = await client.SendJsonAsync("""{"jsonrpc":"2.0","method":"users.check","params":{"username":"nobody-here"},"id":7}""");
        Assert.That(response.GetProperty("id").GetInt32(), Is.EqualTo(7));
        Assert.That(response.GetProperty("result").GetBoolean(), Is.False);
        Assert.That(response.TryGetProperty("error", out _), Is.False);
    }

    [Test]
    public async Task Call_PositionalParams_ReturnsResult()
    {
        var response = await client.SendJsonAsync("""{"jsonrpc":"2.0","method":"users.check","params":["nobody-here"],"id":"abc"}""");
        Assert.That(response.GetProperty("id").GetString(), Is.EqualTo("abc"));
        Assert.That(response.GetProperty("result").GetBoolean(), Is.False);
    }

    [Test]
    public async Task Call_NullId_IsAnsweredWithNullId()
    {
        var response = await client.SendJsonAsync("""{"jsonrpc":"2.0","method":"users.check","params":["x"],"id":null}""");
        Assert.That(response.GetProperty("id").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(response.GetProperty("result").GetBoolean(), Is.False);
    }

    [Test]
    public async Task Call_FractionalAndLargeId_IsEchoedExactly()
    {
        var text = await client.SendAsync("""{"jsonrpc":"2.0","method":"users.check","params":["x"],"id":12345678901234567890.5}""");
        Assert.That(text, Does.Contain("\"id\":12345678901234567890.5"));
    }

    [Test]
    public async Task Notification_GetsNoReply()
    {
        Assert.That(await client.SendAsync("""{"jsonrpc":"2.0","method":"users.check","params":["x"]}"""), Is.Null);
    }

    [Test]
    public async Task Notification_OfUnknownMethod_GetsNoReply()
    {
        Assert.That(await client.SendAsync("""{"jsonrpc":"2.0","method":"foobar"}"""), Is.Null);
    }

    [Test]
    public async Task UnknownMethod_IsMethodNotFound_NamingTheMethod()
    {
        var response = await client.SendJsonAsync("""{"jsonrpc":"2.0","method":"foobar","id":"1"}""");
        AssertError(response, -32601, JsonDocument.Parse("\"1\"").RootElement);
        Assert.That(response.GetProperty("error").GetProperty("data").GetString(), Does.Contain("foobar"));
    }

    [TestCase("users.chek", "method 'users.chek' does not exist; did you mean 'users.check'?")]
    [TestCase("Users.Check", "method 'Users.Check' does not exist; did you mean 'users.check'?")]
    [TestCase("admin.user.search", "method 'admin.user.search' does not exist; did you mean 'admin.users.search'?")]
    [TestCase("users.frobnicate", "method 'users.frobnicate' does not exist")]
    public async Task UnknownMethod_CloseToARealOne_SuggestsIt(string method, string data)
    {
        var response = await client.SendJsonAsync($$"""{"jsonrpc":"2.0","method":"{{method}}","id":"1"}""");
        AssertError(response, -32601, JsonDocument.Parse("\"1\"").RootElement);
        Assert.That(response.GetProperty("error").GetProperty("data").GetString(), Is.EqualTo(data));
    }

    [TestCase("users\\u002echeck")]
    [TestCase("\\u0075sers.check")]
    public async Task MethodName_WithJsonEscapes_IsTheSameMethod(string escaped)
    {
        var response = await client.SendJsonAsync($$"""{"jsonrpc":"2.0","method":"{{escaped}}","params":["nobody-here"],"id":1}""");
        Assert.That(response.GetProperty("result").ValueKind, Is.EqualTo(JsonValueKind.False));
    }

    [TestCase("users.chéck", "method 'users.chéck' does not exist; did you mean 'users.check'?")]
    public async Task MethodName_NonAscii_IsNotFound(string method, string data)
    {
        var response = await client.SendJsonAsync($$"""{"jsonrpc":"2.0","method":"{{method}}","id":"1"}""");
        AssertError(response, -32601, JsonDocument.Parse("\"1\"").RootElement);
        Assert.That(response.GetProperty("error").GetProperty("data").GetString(), Is.EqualTo(data));
    }

    [Test]
    public async Task UnknownMethod_HugeName_IsEchoedShortened()
    {
        var name = new string('m', 200_000);
        var response = await client.SendJsonAsync($$"""{"jsonrpc":"2.0","method":"{{name}}","id":"1"}""");
        AssertError(response, -32601, JsonDocument.Parse("\"1\"").RootElement);
        Assert.That(response.GetProperty("error").GetProperty("data").GetString(), Is.EqualTo($"method '{name[..100]}…' does not exist"));
    }

    [Test]
    public async Task MalformedJson_IsParseError_WithNullId()
    {
        var response = await client.SendJsonAsync("""{"jsonrpc":"2.0","method":"foobar,"params":"bar","baz]""");
        AssertError(response, -32700);
    }

    [Test]
    public async Task MalformedBatch_IsSingleParseError()
    {
        var response = await client.SendJsonAsync("""[{"jsonrpc":"2.0","method":"users.check","params":["x"],"id":"1"},{"jsonrpc":"2.0","method"]""");
        Assert.That(response.ValueKind, Is.EqualTo(JsonValueKind.Object));
        AssertError(response, -32700);
    }

    [TestCase("""{"jsonrpc":"2.0","method":1,"params":"bar"}""", TestName = "NonStringMethod_IsInvalidRequest")]
    [TestCase("""{"jsonrpc":"1.0","method":"users.check","params":["x"]}""", TestName = "WrongVersion_IsInvalidRequest")]
    [TestCase("""{"method":"users.check","params":["x"]}""", TestName = "MissingVersion_IsInvalidRequest")]
    [TestCase("""{"jsonrpc":"2.0","method":"users.check","params":"x"}""", TestName = "StringParams_IsInvalidRequest")]
    [TestCase("""{"jsonrpc":"2.0","method":"users.check","params":5}""", TestName = "NumberParams_IsInvalidRequest")]
    [TestCase("""{"jsonrpc":"2.0","method":"users.check","params":["x"],"id":{"a":1}}""", TestName = "ObjectId_IsInvalidRequest")]
    [TestCase("""{"jsonrpc":"2.0","method":"users.check","params":["x"],"id":[1]}""", TestName = "ArrayId_IsInvalidRequest")]
    [TestCase("""{"jsonrpc":"2.0","method":"users.check","params":["x"],"id":true}""", TestName = "BooleanId_IsInvalidRequest")]
    [TestCase("""{"jsonrpc":"2.0","method":"users.check","params":["x"],"auth":5,"id":1}""", TestName = "NumberAuth_IsInvalidRequest")]
    [TestCase("""1""", TestName = "BareNumber_IsInvalidRequest")]
    [TestCase("""[]""", TestName = "EmptyBatch_IsSingleInvalidRequest")]
    public async Task InvalidRequest_IsAnsweredWithInvalidRequest(string body)
    {
        var response = await client.SendJsonAsync(body);
        Assert.That(response.ValueKind, Is.EqualTo(JsonValueKind.Object), "one error object, not an array");
        Assert.That(response.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32600), response.ToString());
    }

    [Test]
    public async Task InvalidRequest_WithValidId_EchoesTheId()
    {
        var response = await client.SendJsonAsync("""{"jsonrpc":"1.0","method":"users.check","id":42}""");
        AssertError(response, -32600, JsonDocument.Parse("42").RootElement);
    }

    [Test]
    public async Task BatchOfOneNonObject_IsArrayOfOneInvalidRequest()
    {
        var response = await client.SendJsonAsync("[1]");
        Assert.That(response.GetArrayLength(), Is.EqualTo(1));
        AssertError(response[0], -32600);
    }

    [Test]
    public async Task BatchOfThreeNonObjects_IsThreeInvalidRequests()
    {
        var response = await client.SendJsonAsync("[1,2,3]");
        Assert.That(response.GetArrayLength(), Is.EqualTo(3));
        foreach (var item in response.EnumerateArray())
        {
            AssertError(item, -32600);
        }
    }

    [Test]
    public async Task MixedBatch_AnswersOnlyMembersWithIds()
    {
        var response = await client.SendJsonAsync("""
            [
              {"jsonrpc":"2.0","method":"users.check","params":["a"],"id":"1"},
              {"jsonrpc":"2.0","method":"users.check","params":["b"]},
              {"jsonrpc":"2.0","method":"users.check","params":{"username":"c"},"id":"2"},
              {"foo":"boo"},
              {"jsonrpc":"2.0","method":"foo.get","params":{"name":"myself"},"id":"5"},
              {"jsonrpc":"2.0","method":"users.check","params":[7],"id":"9"}
            ]
            """);
        var byId = response.EnumerateArray().ToDictionary(r => r.GetProperty("id").ToString());
        Assert.That(response.GetArrayLength(), Is.EqualTo(5));
        Assert.That(byId["1"].GetProperty("result").GetBoolean(), Is.False);
        Assert.That(byId["2"].GetProperty("result").GetBoolean(), Is.False);
        AssertError(byId[""], -32600);
        AssertError(byId["5"], -32601, JsonDocument.Parse("\"5\"").RootElement);
        AssertError(byId["9"], -32602, JsonDocument.Parse("\"9\"").RootElement);
    }

    [Test]
    public async Task AllNotificationBatch_GetsNoReply()
    {
        Assert.That(await client.SendAsync("""
            [{"jsonrpc":"2.0","method":"users.check","params":["a"]},{"jsonrpc":"2.0","method":"users.check","params":["b"]}]
            """), Is.Null);
    }

    [TestCase("""{"jsonrpc":"2.0","method":"users.check","params":{},"id":1}""", "username", TestName = "MissingParam_IsInvalidParams_NamingIt")]
    [TestCase("""{"jsonrpc":"2.0","method":"users.check","params":[],"id":1}""", "username", TestName = "MissingPositionalParam_IsInvalidParams_NamingIt")]
    [TestCase("""{"jsonrpc":"2.0","method":"users.check","params":null,"id":1}""", "username", TestName = "NullParams_AreReadAsAbsent_MissingParamNamed")]
    [TestCase("""{"jsonrpc":"2.0","method":"users.check","params":{"username":5},"id":1}""", "username", TestName = "MistypedParam_IsInvalidParams_NamingIt")]
    [TestCase("""{"jsonrpc":"2.0","method":"users.check","params":{"username":null},"id":1}""", "username", TestName = "NullParam_IsInvalidParams_NamingIt")]
    [TestCase("""{"jsonrpc":"2.0","method":"users.check","params":{"username":"a","extra":1},"id":1}""", "extra", TestName = "UnknownParam_IsInvalidParams_NamingIt")]
    [TestCase("""{"jsonrpc":"2.0","method":"users.check","params":["a","b"],"id":1}""", "too many", TestName = "TooManyPositionalParams_IsInvalidParams")]
    [TestCase("""{"jsonrpc":"2.0","method":"users.create","params":{"username":["a"],"password":"xxxxxxxx"},"id":1}""", "username", TestName = "ArrayForString_IsInvalidParams_NamingIt")]
    public async Task BadParams_AreInvalidParams(string body, string named)
    {
        var response = await client.SendJsonAsync(body);
        AssertError(response, -32602, JsonDocument.Parse("1").RootElement);
        Assert.That(response.GetProperty("error").GetProperty("data").GetString(), Does.Contain(named));
    }

    [Test]
    public async Task BadFrame_DoesNotEndTheConversation()
    {
        await client.SendAsync("this is not json");
        await client.SendAsync("[]");
        var response = await client.SendJsonAsync("""{"jsonrpc":"2.0","method":"users.check","params":["x"],"id":99}""");
        Assert.That(response.GetProperty("result").GetBoolean(), Is.False);
    }

    [Test]
    public async Task BatchOverLimit_IsSingleInvalidRequest()
    {
        var members = string.Join(",", Enumerable.Range(0, 101).Select(i => $$"""{"jsonrpc":"2.0","method":"users.check","params":["x"],"id":{{i}}}"""));
        var response = await client.SendJsonAsync("[" + members + "]");
        Assert.That(response.ValueKind, Is.EqualTo(JsonValueKind.Object));
        AssertError(response, -32600);
        Assert.That(response.GetProperty("error").GetProperty("data").GetString(), Does.Contain("100"));
    }

    [Test]
    public async Task BatchAtLimit_IsAnsweredInFull()
    {
        var members = string.Join(",", Enumerable.Range(0, 100).Select(i => $$"""{"jsonrpc":"2.0","method":"users.check","params":["x"],"id":{{i}}}"""));
        var response = await client.SendJsonAsync("[" + members + "]");
        Assert.That(response.GetArrayLength(), Is.EqualTo(100));
        Assert.That(response.EnumerateArray().Select(r => r.GetProperty("id").GetInt32()), Is.EquivalentTo(Enumerable.Range(0, 100)));
    }

    [Test]
    public async Task DeepNesting_IsParseError_AndConnectionSurvives()
    {
        var deep = new string('[', 500) + new string(']', 500);
        var response = await client.SendJsonAsync($$"""{"jsonrpc":"2.0","method":"users.check","params":{{deep}},"id":1}""");
        AssertError(response, -32700);
        Assert.That(response.GetProperty("error").GetProperty("data").GetString(), Does.Contain("depth"));
        var next = await client.SendJsonAsync("""{"jsonrpc":"2.0","method":"users.check","params":["x"],"id":2}""");
        Assert.That(next.GetProperty("result").GetBoolean(), Is.False);
    }

    [Test]
    public async Task AuthMemberNull_IsAccepted_AsInTheSeed()
    {
        var response = await client.SendJsonAsync("""{"jsonrpc":"2.0","method":"users.check","auth":null,"params":["x"],"id":1}""");
        Assert.That(response.GetProperty("result").GetBoolean(), Is.False);
    }
}
