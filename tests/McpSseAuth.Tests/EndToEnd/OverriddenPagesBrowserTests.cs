using McpSseAuth.Tests.Infrastructure;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Rendering;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Playwright;

namespace McpSseAuth.Tests.EndToEnd;

/// <summary>
/// A host's own layout and words on the pages, as docs/pages.md describes them, clicked through in headless Chromium:
/// the layout wraps the login and consent pages, the replaced texts are shown, the forms still work under the same
/// Content-Security-Policy, and a client name with markup is still only text.
/// </summary>
public sealed class OverriddenPagesBrowserTests() : SampleInChromium(o =>
    {
        o.Pages.Layout = typeof(BrandLayout);
        o.Pages.Texts.SignInTitle = "Anmelden";
        o.Pages.Texts.SignInButton = "Weiter";
        o.Pages.Texts.ConsentTitle = "Zugriff erlauben?";
        o.Pages.Texts.ConsentRequest = "{0} möchte {1} als {2} nutzen.";
        o.Pages.Texts.Allow = "Erlauben";
    })
{
    private const string Callback = "http://127.0.0.1:7778/callback";

    [Fact]
    public async Task HostLayoutAndTexts_WrapLoginAndConsent_AndTheFlowStillWorks()
    {
        const string hostile = "Evil <img src=x onerror=alert(1)><script>alert(2)</script>";
        using var http = App.CreateRawClient();
        var flow = new OAuthFlow(http);
        var clientId = await flow.RegisterAsync(hostile, Callback);
        var (page, dialogs, arrived) = await Chromium.OpenAsClientAsync(Browser, Callback);

        var login = await page.GotoAsync(flow.AuthorizeUrl(clientId, new Uri(App.BaseAddress, "/mcp").ToString(), Callback).ToString());

        Assert.Equal("Contoso", await page.InnerTextAsync("#brand"));
        Assert.Equal("Anmelden", await page.InnerTextAsync("h1"));
        Assert.Equal("Contoso · Anmelden", await page.TitleAsync());
        Assert.Equal("de", await page.GetAttributeAsync("html", "lang"));
        Assert.Contains("frame-ancestors 'none'", await login!.HeaderValueAsync("content-security-policy"), StringComparison.Ordinal);
        await Chromium.ScreenshotAsync(page, "20-branded-login");

        await page.FillAsync("#username", "alice");
        await page.FillAsync("#password", "alice");
        await page.ClickAsync("button:has-text('Weiter')");
        await page.WaitForSelectorAsync("button[name=decision]");

        Assert.Equal("Contoso", await page.InnerTextAsync("#brand"));
        Assert.Equal("Zugriff erlauben?", await page.InnerTextAsync("h1"));
        Assert.Contains(hostile + " möchte", await page.InnerTextAsync("body"), StringComparison.Ordinal);
        Assert.Equal("Erlauben", await page.InnerTextAsync("button[name=decision][value=allow]"));
        await Chromium.ScreenshotAsync(page, "21-branded-consent");
        await page.ClickAsync("button[name=decision][value=allow]");

        var callback = await arrived.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.False(string.IsNullOrEmpty(QueryHelpers.ParseQuery(callback.Query)["code"]));
        Assert.Empty(dialogs);
    }
}

/// <summary>A host's layout, as a component class (a .razor file in a web project compiles to the same).</summary>
public sealed class BrandLayout : LayoutComponentBase
{
    [CascadingParameter]
    public McpOAuthPage Page { get; set; } = default!;

    protected override void BuildRenderTree(RenderTreeBuilder builder)
    {
        builder.AddMarkupContent(0, "<!DOCTYPE html>");
        builder.OpenElement(1, "html");
        builder.AddAttribute(2, "lang", "de");
        builder.OpenElement(3, "head");
        builder.OpenElement(4, "title");
        builder.AddContent(5, "Contoso · " + Page.Title);
        builder.CloseElement();
        builder.CloseElement();
        builder.OpenElement(6, "body");
        builder.OpenElement(7, "header");
        builder.AddAttribute(8, "id", "brand");
        builder.AddContent(9, "Contoso");
        builder.CloseElement();
        builder.OpenElement(10, "h1");
        builder.AddContent(11, Page.Title);
        builder.CloseElement();
        builder.AddContent(12, Body);
        builder.CloseElement();
        builder.CloseElement();
    }
}
