using Microsoft.Playwright;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Pages;

/// <summary>
/// /invite_register.html in a real headless browser: Debian's chromium (installed by
/// scripts/install-browser.sh from ./run.sh test), driven by Playwright; no browser is downloaded.
/// </summary>
[NonParallelizable]
public sealed class InviteRegisterPageTests
{
    private const string Chromium = "/usr/bin/chromium";
    private RpcTestServer server = null!;
    private IPlaywright playwright = null!;
    private IBrowser browser = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        Assert.That(File.Exists(Chromium), Is.True, "chromium is missing: run scripts/install-browser.sh (./run.sh test does)");
        server = await RpcTestServer.StartAsync(new Dictionary<string, string?> { ["Registration:Mode"] = "invite" });
        playwright = await Playwright.CreateAsync();
        browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (browser is not null)
        {
            await browser.CloseAsync();
        }

        playwright?.Dispose();
        if (server is not null)
        {
            await server.DisposeAsync();
        }
    }

    private async Task<string> NewInviteAsync(int maxUses) =>
        (await server.Get<Rpc.Server.Services.AdminInvitesService>().CreateAsync(null, maxUses, CancellationToken.None)).Code;

    private async Task<IPage> OpenAsync(string code, string locale = "en-US")
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { Locale = locale, ViewportSize = new ViewportSize { Width = 900, Height = 760 } });
        var page = await context.NewPageAsync();
        var response = await page.GotoAsync(new Uri(server.BaseUri, $"/invite_register.html?code={code}").ToString());
        Assert.That(response!.Status, Is.EqualTo(200));
        return page;
    }

    private static async Task ScreenshotAsync(IPage page, string name)
    {
        var path = Path.Combine(TestContext.CurrentContext.WorkDirectory, name);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        TestContext.AddTestAttachment(path);
    }

    [Test]
    public async Task Form_PrefilledCode_Submits_ShowsAWorkingToken()
    {
        var code = await NewInviteAsync(1);
        var page = await OpenAsync(code);
        Assert.That(await page.InputValueAsync("#invite"), Is.EqualTo(code));
        await ScreenshotAsync(page, "invite_register_form.png");

        var name = "web" + Guid.NewGuid().ToString("N")[..8];
        await page.FillAsync("#username", name);
        await page.FillAsync("#password", "browser password");
        await page.ClickAsync("#submit");
        await page.Locator("#success").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Visible, Timeout = 15_000 });
        var token = await page.InputValueAsync("#token");
        Assert.That(await page.TextContentAsync("#success-username"), Is.EqualTo(name));
        await ScreenshotAsync(page, "invite_register_success.png");

        var self = await server.ResultAsync("users.self", token: token);
        Assert.That(self.GetProperty("username").GetString(), Is.EqualTo(name));
        await page.Context.CloseAsync();
    }

    [Test]
    public async Task TakenName_ShowsTheServersLocalizedError_InPlace()
    {
        var code = await NewInviteAsync(5);
        var takenName = "taken" + Guid.NewGuid().ToString("N")[..8];
        await server.ResultAsync("users.createWithInvite", new { username = takenName, password = "password one", invite = code });
        var page = await OpenAsync(code, "fr-FR");
        await page.FillAsync("#username", takenName.ToUpperInvariant());
        await page.FillAsync("#password", "browser password");
        await page.ClickAsync("#submit");
        await page.Locator("#server-error").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Visible, Timeout = 15_000 });
        Assert.That(await page.TextContentAsync("#server-error-message"), Is.EqualTo("Erreur interne"));
        Assert.That(await page.TextContentAsync("#server-error-data"), Is.EqualTo($"User with username {takenName.ToUpperInvariant()} already exists"));
        Assert.That(await page.IsVisibleAsync("#register-form"), Is.True);
        await ScreenshotAsync(page, "invite_register_error.png");
        await page.Context.CloseAsync();
    }

    [Test]
    public async Task ClientSideChecks_MatchTheServerRules_AndSendNothing()
    {
        var code = await NewInviteAsync(1);
        var page = await OpenAsync(code);
        var requests = 0;
        page.Request += (_, request) =>
        {
            if (request.Url.EndsWith("/rpc", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref requests);
            }
        };
        await page.FillAsync("#username", "a");
        await page.FillAsync("#password", "short");
        await page.ClickAsync("#submit");
        Assert.That(await page.TextContentAsync("#username-error"), Is.EqualTo("Username must be between 2 and 32 characters."));
        Assert.That(await page.TextContentAsync("#password-error"), Is.EqualTo("Password must be between 8 and 128 characters."));
        await page.FillAsync("#username", "has space");
        await page.FillAsync("#password", "          ");
        await page.ClickAsync("#submit");
        Assert.That(await page.TextContentAsync("#username-error"), Is.EqualTo("Username may contain only letters, digits, '_', '.' and '-'."));
        Assert.That(await page.TextContentAsync("#password-error"), Is.EqualTo("Password must not be only white space."));
        await page.FillAsync("#invite", "");
        await page.ClickAsync("#submit");
        Assert.That(await page.IsVisibleAsync("#invite-error"), Is.True);
        await ScreenshotAsync(page, "invite_register_checks.png");
        Assert.That(requests, Is.Zero);
        await page.Context.CloseAsync();
    }

    [Test]
    public async Task Page_HasNoInlineScriptOrStyle()
    {
        var html = await server.Http.GetStringAsync("/invite_register.html");
        Assert.That(html, Does.Not.Match("<script(?![^>]*\\bsrc=)"));
        Assert.That(html, Does.Not.Contain("<style"));
        Assert.That(html, Does.Not.Contain(" style="));
        Assert.That(html, Does.Not.Match(" on[a-z]+="));
        var script = await server.Http.GetAsync("/invite_register.js");
        Assert.That(script.Content.Headers.ContentType!.MediaType, Is.EqualTo("text/javascript"));
    }
}
