using McpSseAuth.Pages;
using McpSseAuth.Tests.EndToEnd;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace McpSseAuth.Tests.Unit;

/// <summary>
/// The page writer alone: whatever a value or a configured text holds, the renderer writes it as text; a text's holes take
/// only the values the page has; and the security headers are set whatever layout the host chose.
/// </summary>
public sealed class PageRenderingTests
{
    private const string Hostile = "<script>alert(1)</script>";

    private static async Task<(string Html, HttpResponse Response)> RenderConsentAsync(Action<McpOAuthOptions>? configure = null)
    {
        var services = new ServiceCollection().AddLogging().Configure<McpOAuthOptions>(o => configure?.Invoke(o)).AddSingleton<PageWriter>().BuildServiceProvider();
        var context = new DefaultHttpContext { RequestServices = services };
        context.Response.Body = new MemoryStream();
        var view = new ConsentView(
            Hostile,
            null,
            "evil.example\"><img src=x>",
            "https://mcp.example.com/mcp",
            "Tom & \"Jerry\"",
            [new ScopeWords("mcp:tools", "<b>everything</b>")],
            "/oauth/apps",
            "/oauth/consent",
            "handle\"><script>",
            new AntiforgeryTokenSet("token\"><x", "cookie", "__RequestVerificationToken", null));

        var pages = services.GetRequiredService<PageWriter>();
        await pages.WriteAsync<ConsentPage>(context, 200, pages.Texts.ConsentTitle, view, "https://evil.example");
        context.Response.Body.Position = 0;
        return (await new StreamReader(context.Response.Body).ReadToEndAsync(), context.Response);
    }

    [Fact]
    public async Task EveryValue_IsWrittenAsText()
    {
        var (html, _) = await RenderConsentAsync();

        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<img", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<b>", html, StringComparison.Ordinal);
        Assert.Contains("<strong>&lt;script&gt;alert(1)&lt;/script&gt;</strong>", html, StringComparison.Ordinal);
        Assert.Contains("value=\"token&quot;&gt;&lt;x\"", html, StringComparison.Ordinal);
        Assert.Contains("value=\"handle&quot;&gt;&lt;script&gt;\"", html, StringComparison.Ordinal);
        Assert.Contains("Tom &amp; &quot;Jerry&quot;", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AConfiguredText_IsTextToo_AndAHoleThePageHasNoValueFor_StaysAsWritten()
    {
        var (html, _) = await RenderConsentAsync(o => o.Pages.Texts.ConsentRequest = "<em>{0}</em> wants {1} as {2}, {9}.");

        Assert.Contains("&lt;em&gt;<strong>&lt;script&gt;", html, StringComparison.Ordinal);
        Assert.Contains("as <strong>Tom &amp; &quot;Jerry&quot;</strong>, {9}.", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<em>", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SecurityHeaders_AreSet_WhateverTheLayout(bool hostLayout)
    {
        var (html, response) = await RenderConsentAsync(o => o.Pages.Layout = hostLayout ? typeof(BrandLayout) : null);

        Assert.Equal(hostLayout, html.Contains("id=\"brand\"", StringComparison.Ordinal));
        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.Equal("DENY", response.Headers.XFrameOptions.ToString());
        Assert.Equal("no-store", response.Headers.CacheControl.ToString());
        Assert.Equal("text/html; charset=utf-8", response.ContentType);
        var csp = response.Headers.ContentSecurityPolicy.ToString();
        Assert.Contains("default-src 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("form-action 'self' https://evil.example", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("script-src", csp, StringComparison.Ordinal);
    }
}
