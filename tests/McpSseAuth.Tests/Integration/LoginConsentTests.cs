using System.Net;
using McpSseAuth.Tests.Infrastructure;

namespace McpSseAuth.Tests.Integration;

/// <summary>
/// The login and consent pages: never framed or cached (RFC 9700 §4.16), anti-forgery checked, values HTML-encoded,
/// a decision bound to the user who was asked, no open redirect.
/// </summary>
public sealed class LoginConsentTests(SampleAppFixture fixture) : IClassFixture<SampleAppFixture>
{
    private readonly HttpClient _http = fixture.CreateClient();

    [Fact]
    public async Task LoginPage_IsNeverFramedOrCached()
    {
        var response = await _http.GetAsync("/oauth/login");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        AssertBrowserPageHeaders(response);
    }

    [Fact]
    public async Task ConsentPage_IsNeverFramedOrCached_AndNamesClientAndResource()
    {
        var flow = new OAuthFlow(_http);
        var clientId = await flow.RegisterAsync("Consent header client");

        var consent = await Http.OpenConsentAsync(_http, flow.AuthorizeUrl(clientId, Http.McpResource), "alice");

        AssertBrowserPageHeaders(consent.Response);
        Assert.Contains("Consent header client", consent.Html, StringComparison.Ordinal);
        Assert.Contains(Http.McpResource, consent.Html, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1:7777", consent.Html, StringComparison.Ordinal);
        Assert.Contains("request_id", consent.Fields.Keys);
    }

    [Fact]
    public async Task LoginPost_WithoutAntiforgeryToken_IsRefusedWithPage()
    {
        var response = await _http.PostAsync("/oauth/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["username"] = "alice",
            ["password"] = "alice",
        }));

        await Http.AssertErrorPageAsync(response);
        Assert.False(SetsSignInCookie(response));
    }

    [Fact]
    public async Task LoginPost_WithAntiforgeryFieldButNoCookie_IsRefused()
    {
        var page = await _http.GetAsync("/oauth/login");
        var form = Browser.ParseForm(await page.Content.ReadAsStringAsync())!.Value;
        var fields = form.Hidden;
        fields["username"] = "alice";
        fields["password"] = "alice";

        // _http keeps no cookies: the anti-forgery cookie from the GET is not sent back.
        var response = await _http.PostAsync("/oauth/login", new FormUrlEncodedContent(fields));

        await Http.AssertErrorPageAsync(response);
        Assert.False(SetsSignInCookie(response));
    }

    [Theory]
    [InlineData("alice", "wrong")]
    [InlineData("alice", "")]
    [InlineData("nobody", "nobody")]
    [InlineData("alice", "ALICE")]
    public async Task LoginPost_WrongCredentials_ShowsErrorAndSetsNoCookie(string user, string password)
    {
        var browser = new Browser(_http);
        var login = new Uri("http://localhost/oauth/login");
        var form = Browser.ParseForm(await (await browser.SendAsync(login)).Content.ReadAsStringAsync())!.Value;
        var fields = form.Hidden;
        fields["username"] = user;
        fields["password"] = password;

        var response = await browser.SendAsync(new Uri(login, form.Action), new FormUrlEncodedContent(fields));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Contains("The user name or password is not correct.", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(SetsSignInCookie(response));
    }

    [Fact]
    public async Task LoginPost_AfterTooManyFailures_Is429EvenWithTheRightPassword_AndOtherUsersStillSignIn()
    {
        await using var app = new SampleApp(configure: o => o.SignIn.MaxFailedAttempts = 2);
        using var http = app.CreateRawClient();
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await PostLoginAsync(http, "alice", "wrong")).StatusCode);
        }

        var throttled = await PostLoginAsync(http, "alice", "alice");

        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.NotNull(throttled.Headers.RetryAfter);
        Assert.Contains("Too many failed sign-ins", await throttled.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(SetsSignInCookie(throttled));
        Assert.True(SetsSignInCookie(await PostLoginAsync(http, "bob", "bob")));
    }

    private static async Task<HttpResponseMessage> PostLoginAsync(HttpClient http, string user, string password)
    {
        var browser = new Browser(http);
        var login = new Uri("http://localhost/oauth/login");
        var form = Browser.ParseForm(await (await browser.SendAsync(login)).Content.ReadAsStringAsync())!.Value;
        var fields = form.Hidden;
        fields["username"] = user;
        fields["password"] = password;
        return await browser.SendAsync(new Uri(login, form.Action), new FormUrlEncodedContent(fields));
    }

    [Fact]
    public async Task ConsentPage_ShowsScriptInClientNameEncoded()
    {
        var flow = new OAuthFlow(_http);
        var clientId = await flow.RegisterAsync("<script>alert(1)</script>");

        var consent = await Http.OpenConsentAsync(_http, flow.AuthorizeUrl(clientId, Http.McpResource), "alice");

        Assert.DoesNotContain("<script", consent.Html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", consent.Html, StringComparison.Ordinal);
        Assert.Contains("default-src 'none'", consent.Response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Consent_Deny_RedirectsWithAccessDeniedAndState()
    {
        var flow = new OAuthFlow(_http);
        var clientId = await flow.RegisterAsync();

        var result = await flow.AuthorizeAsync(clientId, Http.McpResource, decision: "deny");

        Assert.Equal("access_denied", result["error"]);
        Assert.Equal(flow.State, result["state"]);
        Assert.Equal("http://localhost", result["iss"]);
        Assert.False(result.ContainsKey("code"));
    }

    [Fact]
    public async Task Consent_Allow_RedirectsWithCodeStateAndIss()
    {
        var flow = new OAuthFlow(_http);
        var clientId = await flow.RegisterAsync();
        var consent = await Http.OpenConsentAsync(_http, flow.AuthorizeUrl(clientId, Http.McpResource), "alice");

        var response = await consent.SubmitAsync("allow");

        var location = Http.Location(response);
        Assert.StartsWith(OAuthFlow.RedirectUri + "?", location.AbsoluteUri, StringComparison.Ordinal);
        var query = Http.Query(location);
        Assert.False(string.IsNullOrEmpty(query["code"]));
        Assert.Equal(flow.State, query["state"]);
        Assert.Equal("http://localhost", query["iss"]);
    }

    [Fact]
    public async Task Consent_RequestIdReused_ShowsErrorPage()
    {
        var flow = new OAuthFlow(_http);
        var clientId = await flow.RegisterAsync();
        var consent = await Http.OpenConsentAsync(_http, flow.AuthorizeUrl(clientId, Http.McpResource), "alice");
        Assert.True(Http.Query(Http.Location(await consent.SubmitAsync("allow"))).ContainsKey("code"));

        var again = await consent.SubmitAsync("allow");

        await Http.AssertErrorPageAsync(again);
    }

    [Fact]
    public async Task Consent_UnknownDecision_ShowsErrorPage()
    {
        var flow = new OAuthFlow(_http);
        var clientId = await flow.RegisterAsync();
        var consent = await Http.OpenConsentAsync(_http, flow.AuthorizeUrl(clientId, Http.McpResource), "alice");

        await Http.AssertErrorPageAsync(await consent.SubmitAsync("maybe"));
    }

    [Fact]
    public async Task Consent_PostedByAnotherSignedInUser_IsRefused()
    {
        var aliceFlow = new OAuthFlow(_http);
        var aliceClient = await aliceFlow.RegisterAsync();
        var alice = await Http.OpenConsentAsync(_http, aliceFlow.AuthorizeUrl(aliceClient, Http.McpResource), "alice");
        var bobFlow = new OAuthFlow(_http);
        var bobClient = await bobFlow.RegisterAsync();
        var bob = await Http.OpenConsentAsync(_http, bobFlow.AuthorizeUrl(bobClient, Http.McpResource), "bob");

        // Bob, with his own valid session and anti-forgery token, answers Alice's request.
        var response = await bob.SubmitAsync("allow", requestId: alice.Fields["request_id"]);

        await Http.AssertErrorPageAsync(response);

        // Alice's request is still hers to answer.
        var aliceAnswer = Http.Query(Http.Location(await alice.SubmitAsync("allow")));
        Assert.True(aliceAnswer.ContainsKey("code"));
    }

    [Fact]
    public async Task Consent_WithAnotherUsersAntiforgeryToken_IsRefused()
    {
        var aliceFlow = new OAuthFlow(_http);
        var alice = await Http.OpenConsentAsync(_http, aliceFlow.AuthorizeUrl(await aliceFlow.RegisterAsync(), Http.McpResource), "alice");
        var bobFlow = new OAuthFlow(_http);
        var bob = await Http.OpenConsentAsync(_http, bobFlow.AuthorizeUrl(await bobFlow.RegisterAsync(), Http.McpResource), "bob");

        // Bob's browser posts Alice's whole form (her anti-forgery token) with his cookies.
        var fields = new Dictionary<string, string>(alice.Fields, StringComparer.Ordinal) { ["decision"] = "allow" };
        var response = await bob.Browser.SendAsync(bob.Action, new FormUrlEncodedContent(fields));

        await Http.AssertErrorPageAsync(response);
    }

    [Fact]
    public async Task Consent_NotSignedIn_ShowsErrorPage()
    {
        var flow = new OAuthFlow(_http);
        var consent = await Http.OpenConsentAsync(_http, flow.AuthorizeUrl(await flow.RegisterAsync(), Http.McpResource), "alice");
        var fields = new Dictionary<string, string>(consent.Fields, StringComparer.Ordinal) { ["decision"] = "allow" };

        // Same form, sent by a client without the sign-in cookie.
        var response = await _http.PostAsync("/oauth/consent", new FormUrlEncodedContent(fields));

        await Http.AssertErrorPageAsync(response);
    }

    [Theory]
    [InlineData("https://evil.example/oauth/authorize?x=1")]
    [InlineData("//evil.example/oauth/authorize?x=1")]
    [InlineData("/\\evil.example/oauth/authorize?x=1")]
    [InlineData("http://localhost/oauth/authorize?x=1")]
    [InlineData("/oauth/authorize")]
    [InlineData("/oauth/login?x=1")]
    [InlineData("/oauth/authorize?a\r\nX-Injected: 1")]
    [InlineData("/oauth/authorize?caf\u00e9")]
    public async Task Login_ReturnUrlToAnotherSite_IsNotFollowed(string returnUrl)
    {
        var browser = new Browser(_http);
        var login = new Uri("http://localhost/oauth/login?ReturnUrl=" + Uri.EscapeDataString(returnUrl));
        var page = await browser.SendAsync(login);
        var form = Browser.ParseForm(await page.Content.ReadAsStringAsync())!.Value;
        Assert.Equal("", form.Hidden["ReturnUrl"]);
        var fields = form.Hidden;
        fields["ReturnUrl"] = returnUrl;
        fields["username"] = "alice";
        fields["password"] = "alice";

        var response = await browser.SendAsync(new Uri(login, form.Action), new FormUrlEncodedContent(fields));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Contains("You are signed in", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.True(SetsSignInCookie(response));
    }

    private static void AssertBrowserPageHeaders(HttpResponseMessage response)
    {
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.True(response.Headers.CacheControl?.NoStore, "Cache-Control must be no-store.");
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
    }

    private static bool SetsSignInCookie(HttpResponseMessage response)
        => response.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith("mcp-oauth=", StringComparison.Ordinal));
}
