using System.Net;
using McpSseAuth.Tests.Infrastructure;

namespace McpSseAuth.Tests.Integration;

/// <summary>Signing out of the authorization server: a POST with an anti-forgery token, so no other page can sign users out.</summary>
public sealed class LogoutTests(SampleAppFixture fixture) : IClassFixture<SampleAppFixture>
{
    private readonly HttpClient _http = fixture.CreateClient();
    private static readonly Uri Logout = new("http://localhost/oauth/logout");

    private async Task<(Browser Browser, string ClientId, OAuthFlow Flow)> SignedInAsync()
    {
        var browser = new Browser(_http);
        var flow = new OAuthFlow(_http);
        var clientId = await flow.RegisterAsync();
        await browser.AuthorizeAsync(flow.AuthorizeUrl(clientId, Http.McpResource), "alice", "alice");
        return (browser, clientId, flow);
    }

    [Fact]
    public async Task Logout_WithTheForm_SignsOut_SoTheNextAuthorizationAsksToSignInAgain()
    {
        var (browser, clientId, flow) = await SignedInAsync();
        var page = await browser.SendAsync(Logout);
        Assert.Equal("DENY", page.Headers.GetValues("X-Frame-Options").Single());
        var form = Browser.ParseForm(await page.Content.ReadAsStringAsync())!.Value;

        var response = await browser.SendAsync(new Uri(Logout, form.Action), new FormUrlEncodedContent(form.Hidden));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("signed out", await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        var next = await browser.SendAsync(flow.AuthorizeUrl(clientId, Http.McpResource));
        Assert.Equal(HttpStatusCode.Redirect, next.StatusCode);
        Assert.Equal("/oauth/login", new Uri(Logout, next.Headers.Location!).AbsolutePath);
    }

    [Fact]
    public async Task Logout_PostedWithoutAntiforgeryToken_IsRefused_AndTheUserStaysSignedIn()
    {
        var (browser, clientId, flow) = await SignedInAsync();

        var response = await browser.SendAsync(Logout, new FormUrlEncodedContent(new Dictionary<string, string>()));

        await Http.AssertErrorPageAsync(response);
        // prompt=consent: the consent was remembered, and the page is only shown to a signed-in user.
        var next = await browser.SendAsync(flow.AuthorizeUrl(clientId, Http.McpResource, overrides: new Dictionary<string, string?> { ["prompt"] = "consent" }));
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.Contains("name=\"decision\"", await next.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
