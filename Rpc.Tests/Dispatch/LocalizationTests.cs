using System.Globalization;
using Microsoft.Extensions.Options;
using Rpc.Server.Dispatch;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Dispatch;

public sealed class LocalizationTests
{
    [TestCase(null, "Method not found")]
    [TestCase("zh-CN", "找不到方法")]
    [TestCase("zh-Hans", "找不到方法")]
    [TestCase("fr-FR", "Méthode introuvable")]
    [TestCase("tr", "Yöntem bulunamadı")]
    [TestCase("de-DE", "Method not found")]
    [TestCase("de;q=1.0, fr;q=0.5, tr;q=0.9", "Yöntem bulunamadı")]
    public async Task UnknownMethod_MessageFollowsAcceptLanguage(string? language, string message)
    {
        var error = await SharedServer.Instance.ErrorAsync("no.such.method", language: language);
        Assert.That(error.GetProperty("message").GetString(), Is.EqualTo(message));
        Assert.That(error.GetProperty("data").GetString(), Is.EqualTo("method 'no.such.method' does not exist"));
    }

    [Test]
    public async Task ParseError_IsLocalizedToo()
    {
        using var response = await SharedServer.Instance.PostAsync("{", language: "zh-CN");
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("解析错误"));
    }

    [TestCase("-32700")]
    [TestCase("-32600")]
    [TestCase("-32601")]
    [TestCase("-32602")]
    [TestCase("-32603")]
    public void EveryCode_HasAMessageInEverySupportedLanguage(string code)
    {
        var messages = new ErrorMessages(Options.Create(new LocalizationOptions()));
        var english = messages.For(int.Parse(code, CultureInfo.InvariantCulture), LanguageNegotiator.English);
        foreach (var language in new[] { "zh-Hans", "fr", "tr" })
        {
            var localized = messages.For(int.Parse(code, CultureInfo.InvariantCulture), CultureInfo.GetCultureInfo(language));
            Assert.That(localized, Is.Not.Empty.And.Not.EqualTo(english), language);
        }
    }

    [TestCase("zh-TW", "")]
    [TestCase("ZH-cn", "zh-Hans")]
    [TestCase("fr-CA,en;q=0.1", "fr")]
    [TestCase("en;q=0.2, tr;q=0.8", "tr")]
    [TestCase("*", "")]
    [TestCase("fr;q=0", "")]
    [TestCase("fr;q=abc", "")]
    public void Negotiate_PicksSupportedLanguage_OrNoPreference(string header, string expected)
    {
        Assert.That(LanguageNegotiator.Negotiate(null, header).Name, Is.EqualTo(expected));
        Assert.That(LanguageNegotiator.Negotiate(null, header).Name, Is.EqualTo(expected), "the remembered answer is the same");
        Assert.That(LanguageNegotiator.Negotiate("tr", header).Name, Is.EqualTo("tr"), "?lang= still wins over a remembered header");
    }

    [Test]
    public void Negotiate_ManyDistinctHeaders_EachAnsweredByItsOwnRanges()
    {
        // More distinct headers than the negotiator remembers, each twice: the table starts over without mixing answers.
        for (var round = 0; round < 2; round++)
        {
            for (var i = 0; i < 3000; i++)
            {
                var (header, expected) = (i % 3) switch
                {
                    0 => ($"fr;q=0.{1 + (i % 9)}, x-{i}", "fr"),
                    1 => ($"tr, x-{i};q=0.5", "tr"),
                    _ => ($"de-{i}", ""),
                };
                Assert.That(LanguageNegotiator.Negotiate(null, header).Name, Is.EqualTo(expected), header);
            }
        }

        var longHeader = "de, " + string.Join(", ", Enumerable.Range(0, 60).Select(i => $"x-{i};q=0.1")) + ", zh-CN;q=0.9";
        Assert.That(LanguageNegotiator.Negotiate(null, longHeader).Name, Is.EqualTo("zh-Hans"), "a header too long to remember is still parsed");
    }

    [TestCase(null, null, "内部错误")]
    [TestCase("de-DE", null, "内部错误")]
    [TestCase("fr", null, "Erreur interne")]
    [TestCase(null, "en", "Internal error")]
    public async Task DefaultLanguage_AnswersClientsThatStateNoSupportedLanguage(string? acceptLanguage, string? query, string message)
    {
        await using var server = await RpcTestServer.StartAsync(new Dictionary<string, string?> { ["Localization:DefaultLanguage"] = "zh-CN" });
        var path = query is null ? "/rpc" : $"/rpc?lang={query}";
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent("""{"jsonrpc":"2.0","method":"users.self","id":1}""", System.Text.Encoding.UTF8, "application/json"),
        };
        if (acceptLanguage is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept-Language", acceptLanguage);
        }

        using var response = await server.Http.SendAsync(request);
        using var reply = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.That(reply.RootElement.GetProperty("error").GetProperty("message").GetString(), Is.EqualTo(message));
    }

    [Test]
    public void DefaultLanguage_Unsupported_RefusesToStart()
    {
        var error = Assert.ThrowsAsync<OptionsValidationException>(async () =>
            await RpcTestServer.StartAsync(new Dictionary<string, string?> { ["Localization:DefaultLanguage"] = "de" }));
        Assert.That(error!.Message, Does.Contain("Localization:DefaultLanguage 'de'"));
    }
}
