using System.Globalization;
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
        var messages = new ErrorMessages();
        var english = messages.For(int.Parse(code, CultureInfo.InvariantCulture), LanguageNegotiator.English);
        foreach (var language in new[] { "zh-Hans", "fr", "tr" })
        {
            var localized = messages.For(int.Parse(code, CultureInfo.InvariantCulture), CultureInfo.GetCultureInfo(language));
            Assert.That(localized, Is.Not.Empty.And.Not.EqualTo(english), language);
        }
    }

    [TestCase("zh-TW", "en")]
    [TestCase("ZH-cn", "zh-Hans")]
    [TestCase("fr-CA,en;q=0.1", "fr")]
    [TestCase("*", "en")]
    [TestCase("fr;q=0", "en")]
    public void Negotiate_PicksSupportedLanguage(string header, string expected)
    {
        Assert.That(LanguageNegotiator.Negotiate(null, header).Name, Is.EqualTo(expected));
    }
}
