using System.Net;
using System.Text.RegularExpressions;
using McpSseAuth.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace McpSseAuth.Tests.Integration;

/// <summary>
/// The connected-apps page: a signed-in user sees every client holding a grant or a remembered consent, and revoking one
/// ends all its grants at once (refresh and access tokens) and forgets the consent — for that user only.
/// </summary>
public sealed class ConnectedAppsTests(SampleAppFixture fixture) : IClassFixture<SampleAppFixture>
{
    private static readonly Uri Apps = new("http://localhost/oauth/apps");
    private readonly HttpClient _http = fixture.CreateClient();

    /// <summary>A client alice allowed through login and consent, its tokens redeemed; the browser stays signed in.</summary>
    private async Task<(Browser Browser, OAuthFlow Flow, TokenSet Tokens)> ConnectedAsync(string user = "alice", string clientName = "Connected client", string? clientId = null, Browser? browser = null)
    {
        var flow = new OAuthFlow(_http);
        clientId ??= await flow.RegisterAsync(clientName);
        browser ??= new Browser(_http);
        var location = await browser.AuthorizeAsync(flow.AuthorizeUrl(clientId, Http.McpResource), user, user);
        var response = await flow.RedeemAsync(clientId, Http.Query(location)["code"]);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await Http.ReadJsonAsync(response);
        return (browser, flow, new TokenSet(clientId, json.GetProperty("access_token").GetString()!, json.GetProperty("refresh_token").GetString()!));
    }

    private static async Task<HttpStatusCode> McpStatusAsync(HttpClient http, string accessToken)
    {
        using var response = await Http.SendHeadersAsync(http, Http.McpInitialize("/mcp", accessToken));
        return response.StatusCode;
    }

    private static async Task<string> PageAsync(Browser browser, string query = "")
    {
        var response = await browser.SendAsync(new Uri(Apps + query));
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"Expected the connected-apps page, got {(int)response.StatusCode}: {html}");
        return html;
    }

    /// <summary>Posts the page's revoke form for <paramref name="clientId"/>, with the page's anti-forgery token.</summary>
    private static async Task<HttpResponseMessage> RevokeAsync(Browser browser, string clientId)
    {
        var html = await PageAsync(browser);
        var (name, value) = AccountPageSupport.AntiforgeryField(html);
        return await browser.SendAsync(Apps, new FormUrlEncodedContent(new Dictionary<string, string> { [name] = value, ["client_id"] = clientId }));
    }

    private static void AssertRevokedRedirect(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        Assert.Equal("/oauth/apps?revoked=1", response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task ConnectedApps_NotSignedIn_SendsToLogin_AndBackToThePageAfterSignIn()
    {
        var browser = new Browser(_http);

        await AccountPageSupport.AssertChallengeSignsInAndReturnsAsync(browser, Apps, "alice");

        var page = await browser.SendAsync(Apps);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        AccountPageSupport.AssertPageHeaders(page);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("<title>Connected apps</title>", html, StringComparison.Ordinal);
        Assert.Contains("Signed in as <strong>alice</strong>", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectedApps_NoApps_SaysSo()
    {
        // bob's first visit in a fresh app: nothing allowed yet.
        await using var app = new SampleApp();
        var (browser, _) = await AccountPageSupport.SignInAsync(app.CreateRawClient(), "bob", "/oauth/apps");

        var html = await PageAsync(browser);

        Assert.Contains("No application has access to this server on your behalf.", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Revoke access", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectedApps_ListsTheClient_NameEncoded_WithRedirectHostScopeInWordsAndDates()
    {
        var (browser, _, tokens) = await ConnectedAsync(clientName: "<img src=x onerror=alert(1)> & Co");

        var response = await browser.SendAsync(Apps);
        var html = await response.Content.ReadAsStringAsync();

        AccountPageSupport.AssertPageHeaders(response);
        Assert.DoesNotContain("<img", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("&lt;img src=x onerror=alert(1)&gt; &amp; Co", html, StringComparison.Ordinal);
        Assert.Contains("Sends you back to 127.0.0.1:7777", html, StringComparison.Ordinal);
        Assert.Contains("Use the tools, prompts and resources of this MCP server", html, StringComparison.Ordinal);
        Assert.Contains("(mcp:tools)", html, StringComparison.Ordinal);
        Assert.Matches(@"Allowed \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC\.", html);
        Assert.Matches(@"Last used \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC\.", html);
        Assert.Contains(tokens.ClientId, AccountPageSupport.RevokeFormClientIds(html));
    }

    [Fact]
    public async Task ConnectedApps_ShowsOnlyTheSignedInUsersApps()
    {
        var (_, _, alices) = await ConnectedAsync(user: "alice");
        var (bob, _, bobs) = await ConnectedAsync(user: "bob");

        var clients = AccountPageSupport.RevokeFormClientIds(await PageAsync(bob));

        Assert.Contains(bobs.ClientId, clients);
        Assert.DoesNotContain(alices.ClientId, clients);
    }

    [Fact]
    public async Task ConnectedApps_RememberedConsentWithoutTokens_IsListedWithNoActiveSignIn()
    {
        var flow = new OAuthFlow(_http);
        var clientId = await flow.RegisterAsync("Consent only");
        var browser = new Browser(_http);
        await browser.AuthorizeAsync(flow.AuthorizeUrl(clientId, Http.McpResource), "alice", "alice");

        var html = await PageAsync(browser);

        Assert.Contains(clientId, AccountPageSupport.RevokeFormClientIds(html));
        var section = AccountPageSupport.SectionOf(html, clientId);
        Assert.Contains("Consent only", section, StringComparison.Ordinal);
        Assert.Contains("No active sign-in.", section, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectedApps_Revoke_EndsRefreshAndAccessTokensAtOnce()
    {
        var (browser, flow, tokens) = await ConnectedAsync();
        Assert.Equal(HttpStatusCode.OK, await McpStatusAsync(_http, tokens.AccessToken));

        AssertRevokedRedirect(await RevokeAsync(browser, tokens.ClientId));

        await Http.AssertOAuthErrorAsync(await flow.RefreshAsync(tokens.ClientId, tokens.RefreshToken), HttpStatusCode.BadRequest, "invalid_grant");
        using var mcp = await Http.SendHeadersAsync(_http, Http.McpInitialize("/mcp", tokens.AccessToken));
        Assert.Equal(HttpStatusCode.Unauthorized, mcp.StatusCode);
        Assert.Contains("error=\"invalid_token\"", Http.WwwAuthenticate(mcp), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectedApps_Revoke_ForgetsTheConsent_SoTheNextAuthorizationAsksAgain()
    {
        var (browser, _, tokens) = await ConnectedAsync();
        var again = new OAuthFlow(_http);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.SendAsync(again.AuthorizeUrl(tokens.ClientId, Http.McpResource))).StatusCode);

        AssertRevokedRedirect(await RevokeAsync(browser, tokens.ClientId));

        var next = await browser.SendAsync(again.AuthorizeUrl(tokens.ClientId, Http.McpResource));
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.Contains("name=\"decision\"", await next.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectedApps_AfterRevoke_ThePageSaysSo_AndNoLongerListsTheClient()
    {
        var (browser, _, tokens) = await ConnectedAsync();
        var redirect = await RevokeAsync(browser, tokens.ClientId);

        var response = await browser.SendAsync(Http.Location(redirect));
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Access revoked. The application must ask you again to connect.", html, StringComparison.Ordinal);
        Assert.DoesNotContain(tokens.ClientId, AccountPageSupport.RevokeFormClientIds(html));
    }

    [Fact]
    public async Task ConnectedApps_Revoke_EndsEveryGrantOfThatClient_AndNoOtherClientsGrant()
    {
        var (browser, flow, first) = await ConnectedAsync();
        var (_, _, second) = await ConnectedAsync(clientId: first.ClientId, browser: browser);
        var (_, otherFlow, other) = await ConnectedAsync(browser: browser);

        AssertRevokedRedirect(await RevokeAsync(browser, first.ClientId));

        await Http.AssertOAuthErrorAsync(await flow.RefreshAsync(first.ClientId, first.RefreshToken), HttpStatusCode.BadRequest, "invalid_grant");
        await Http.AssertOAuthErrorAsync(await flow.RefreshAsync(second.ClientId, second.RefreshToken), HttpStatusCode.BadRequest, "invalid_grant");
        Assert.Equal(HttpStatusCode.Unauthorized, await McpStatusAsync(_http, second.AccessToken));
        Assert.Equal(HttpStatusCode.OK, (await otherFlow.RefreshAsync(other.ClientId, other.RefreshToken)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, await McpStatusAsync(_http, other.AccessToken));
    }

    [Fact]
    public async Task ConnectedApps_Revoke_LeavesAnotherUsersGrantsAndConsentForTheSameClient()
    {
        var (alice, aliceFlow, alices) = await ConnectedAsync(user: "alice");
        var (bob, bobFlow, bobs) = await ConnectedAsync(user: "bob", clientId: alices.ClientId);

        AssertRevokedRedirect(await RevokeAsync(alice, alices.ClientId));

        await Http.AssertOAuthErrorAsync(await aliceFlow.RefreshAsync(alices.ClientId, alices.RefreshToken), HttpStatusCode.BadRequest, "invalid_grant");
        Assert.Equal(HttpStatusCode.OK, await McpStatusAsync(_http, bobs.AccessToken));
        Assert.Equal(HttpStatusCode.OK, (await bobFlow.RefreshAsync(bobs.ClientId, bobs.RefreshToken)).StatusCode);
        Assert.Contains(bobs.ClientId, AccountPageSupport.RevokeFormClientIds(await PageAsync(bob)));
        var again = new OAuthFlow(_http);
        Assert.Equal(HttpStatusCode.Redirect, (await bob.SendAsync(again.AuthorizeUrl(bobs.ClientId, Http.McpResource))).StatusCode);
    }

    [Fact]
    public async Task ConnectedApps_Revoke_ConsentWithoutTokens_ForgetsIt()
    {
        var flow = new OAuthFlow(_http);
        var clientId = await flow.RegisterAsync();
        var browser = new Browser(_http);
        await browser.AuthorizeAsync(flow.AuthorizeUrl(clientId, Http.McpResource), "alice", "alice");

        AssertRevokedRedirect(await RevokeAsync(browser, clientId));

        Assert.Equal(HttpStatusCode.OK, (await browser.SendAsync(new OAuthFlow(_http).AuthorizeUrl(clientId, Http.McpResource))).StatusCode);
    }

    [Fact]
    public async Task ConnectedApps_Revoke_UnknownClient_Is404Page()
    {
        var (browser, flow, tokens) = await ConnectedAsync();

        var response = await RevokeAsync(browser, "no-such-client");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Null(response.Headers.Location);
        AccountPageSupport.AssertPageHeaders(response);
        Assert.Contains("That application has no access to revoke.", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await flow.RefreshAsync(tokens.ClientId, tokens.RefreshToken)).StatusCode);
    }

    [Fact]
    public async Task ConnectedApps_Revoke_AnotherUsersClient_Is404_AndRevokesNothing()
    {
        var (_, aliceFlow, alices) = await ConnectedAsync(user: "alice");
        var (bob, _, _) = await ConnectedAsync(user: "bob");

        var response = await RevokeAsync(bob, alices.ClientId);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await aliceFlow.RefreshAsync(alices.ClientId, alices.RefreshToken)).StatusCode);
    }

    [Fact]
    public async Task ConnectedApps_RevokeWithoutAntiforgeryToken_IsErrorPage_AndNothingIsRevoked()
    {
        var (browser, flow, tokens) = await ConnectedAsync();
        await PageAsync(browser);

        var response = await browser.SendAsync(Apps, new FormUrlEncodedContent(new Dictionary<string, string> { ["client_id"] = tokens.ClientId }));

        await Http.AssertErrorPageAsync(response);
        Assert.Equal(HttpStatusCode.OK, await McpStatusAsync(_http, tokens.AccessToken));
        Assert.Equal(HttpStatusCode.OK, (await flow.RefreshAsync(tokens.ClientId, tokens.RefreshToken)).StatusCode);
        Assert.Contains(tokens.ClientId, AccountPageSupport.RevokeFormClientIds(await PageAsync(browser)));
    }

    [Fact]
    public async Task ConnectedApps_RevokeWithAnotherUsersAntiforgeryToken_IsRefused()
    {
        var (alice, aliceFlow, alices) = await ConnectedAsync(user: "alice");
        var (bob, _, _) = await ConnectedAsync(user: "bob");
        var (name, value) = AccountPageSupport.AntiforgeryField(await PageAsync(bob));

        // A page of bob's can post bob's token, but alice's browser sends her own cookies with it.
        var response = await alice.SendAsync(Apps, new FormUrlEncodedContent(new Dictionary<string, string> { [name] = value, ["client_id"] = alices.ClientId }));

        await Http.AssertErrorPageAsync(response);
        Assert.Equal(HttpStatusCode.OK, (await aliceFlow.RefreshAsync(alices.ClientId, alices.RefreshToken)).StatusCode);
    }

    [Fact]
    public async Task ConnectedApps_RevokeNotSignedIn_SendsToLogin_AndRevokesNothing()
    {
        var (_, flow, tokens) = await ConnectedAsync();

        var response = await _http.PostAsync("/oauth/apps", new FormUrlEncodedContent(new Dictionary<string, string> { ["client_id"] = tokens.ClientId }));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/oauth/login", Http.Location(response).AbsolutePath);
        Assert.Equal(HttpStatusCode.OK, (await flow.RefreshAsync(tokens.ClientId, tokens.RefreshToken)).StatusCode);
    }

    [Fact]
    public async Task ConnectedApps_RevokeWithoutClientId_IsErrorPage()
    {
        var (browser, _, _) = await ConnectedAsync();
        var (name, value) = AccountPageSupport.AntiforgeryField(await PageAsync(browser));

        var response = await browser.SendAsync(Apps, new FormUrlEncodedContent(new Dictionary<string, string> { [name] = value }));

        await Http.AssertErrorPageAsync(response);
    }

    /// <summary>The sample on <paramref name="clock"/>, with alice signed in and one client holding tokens.</summary>
    private static async Task<(SampleApp App, HttpClient Http, OAuthFlow Flow, string ClientId, Browser Browser, System.Text.Json.JsonElement Tokens)> ConnectedOnAsync(FakeTimeProvider clock)
    {
        var app = new SampleApp(services: s => s.AddSingleton<TimeProvider>(clock));
        var http = app.CreateRawClient();
        var flow = new OAuthFlow(http);
        var clientId = await flow.RegisterAsync();
        var browser = new Browser(http);
        var location = await browser.AuthorizeAsync(flow.AuthorizeUrl(clientId, Http.McpResource), "alice", "alice");
        var tokens = await Http.ReadJsonAsync(await flow.RedeemAsync(clientId, Http.Query(location)["code"]));
        return (app, http, flow, clientId, browser, tokens);
    }

    [Fact]
    public async Task ConnectedApps_DatesShowConsentTime_AndLastUseFollowsRefresh()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2031, 2, 3, 4, 5, 0, TimeSpan.Zero));
        var (app, _, flow, clientId, browser, json) = await ConnectedOnAsync(clock);
        await using var owned = app;

        var before = AccountPageSupport.SectionOf(await PageAsync(browser), clientId);
        clock.Advance(TimeSpan.FromHours(3) + TimeSpan.FromMinutes(10));
        Assert.Equal(HttpStatusCode.OK, (await flow.RefreshAsync(clientId, json.GetProperty("refresh_token").GetString()!)).StatusCode);
        var after = AccountPageSupport.SectionOf(await PageAsync(browser), clientId);

        Assert.Contains("Allowed 2031-02-03 04:05 UTC.", before, StringComparison.Ordinal);
        Assert.Contains("Last used 2031-02-03 04:05 UTC.", before, StringComparison.Ordinal);
        Assert.Contains("Allowed 2031-02-03 04:05 UTC.", after, StringComparison.Ordinal);
        Assert.Contains("Last used 2031-02-03 07:15 UTC.", after, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectedApps_LastUse_FollowsMcpRequests_RecordedAtMostEveryFiveMinutes()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2031, 2, 3, 4, 5, 0, TimeSpan.Zero));
        var (app, http, _, clientId, browser, json) = await ConnectedOnAsync(clock);
        await using var owned = app;
        var accessToken = json.GetProperty("access_token").GetString()!;

        clock.Advance(TimeSpan.FromMinutes(30));
        Assert.Equal(HttpStatusCode.OK, await McpStatusAsync(http, accessToken));
        Assert.Contains("Last used 2031-02-03 04:35 UTC.", await SectionWhenAsync(browser, clientId, "04:35"), StringComparison.Ordinal);

        // Used again within five minutes: not written again.
        clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(HttpStatusCode.OK, await McpStatusAsync(http, accessToken));
        clock.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal(HttpStatusCode.OK, await McpStatusAsync(http, accessToken));
        Assert.Contains("Last used 2031-02-03 04:41 UTC.", await SectionWhenAsync(browser, clientId, "04:41"), StringComparison.Ordinal);
        Assert.DoesNotContain("04:37", await PageAsync(browser), StringComparison.Ordinal);
    }

    /// <summary>The client's section of the page once it shows <paramref name="time"/> (the use is recorded after the request), or as it is after 5 s.</summary>
    private static async Task<string> SectionWhenAsync(Browser browser, string clientId, string time)
    {
        var section = AccountPageSupport.SectionOf(await PageAsync(browser), clientId);
        for (var i = 0; i < 100 && !section.Contains(time, StringComparison.Ordinal); i++)
        {
            await Task.Delay(50);
            section = AccountPageSupport.SectionOf(await PageAsync(browser), clientId);
        }

        return section;
    }

    [Fact]
    public async Task ConnectedApps_LastUse_IsWrittenOncePerMinute_AndTheAppStaysListedAsLongAsItsRefreshToken()
    {
        // A refresh writes the grant's record at most once a minute (GrantRecord.TouchInterval), so the page's "last used"
        // lags by less than that, and the record is kept that much past its latest refresh token.
        var clock = new FakeTimeProvider(new DateTimeOffset(2031, 2, 3, 4, 5, 50, TimeSpan.Zero));
        var (app, http, flow, clientId, browser, json) = await ConnectedOnAsync(clock);
        await using var owned = app;
        var refresh = json.GetProperty("refresh_token").GetString()!;

        async Task<string> RefreshAsync()
        {
            using var response = await flow.RefreshAsync(clientId, refresh);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return (await Http.ReadJsonAsync(response)).GetProperty("refresh_token").GetString()!;
        }

        clock.Advance(TimeSpan.FromSeconds(30));   // 04:06:20, 30 s after the record was written
        refresh = await RefreshAsync();
        var within = AccountPageSupport.SectionOf(await PageAsync(browser), clientId);
        Assert.Contains("Last used 2031-02-03 04:05 UTC.", within, StringComparison.Ordinal);

        // The refresh token just issued lives RefreshTokenLifetime from 04:06:20; the record was last written at 04:05:50.
        clock.Advance(new McpOAuthOptions().Tokens.RefreshTokenLifetime - TimeSpan.FromSeconds(1));
        browser = new Browser(http);   // the first sign-in has long expired
        await browser.WalkAsync(Apps, "alice");
        Assert.Contains("Last used 2031-02-03 04:05 UTC.", AccountPageSupport.SectionOf(await PageAsync(browser), clientId), StringComparison.Ordinal);
        refresh = await RefreshAsync();
        var late = AccountPageSupport.SectionOf(await PageAsync(browser), clientId);
        var expected = clock.GetUtcNow().ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains($"Last used {expected} UTC.", late, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectedApps_CodeIssuedBeforeRevoke_IsRefused_EvenAfterTheUserAllowsTheClientAgain()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2031, 2, 3, 4, 5, 0, TimeSpan.Zero));
        await using var app = new SampleApp(services: s => s.AddSingleton<TimeProvider>(clock));
        var http = app.CreateRawClient();
        var flow = new OAuthFlow(http);
        var clientId = await flow.RegisterAsync();
        var browser = new Browser(http);
        await browser.AuthorizeAsync(flow.AuthorizeUrl(clientId, Http.McpResource), "alice", "alice");
        // Remembered: a code at once, kept unredeemed across the revoke.
        var pending = new OAuthFlow(http);
        var early = Http.Query(await browser.AuthorizeAsync(pending.AuthorizeUrl(clientId, Http.McpResource), "alice", "alice"))["code"];
        clock.Advance(TimeSpan.FromSeconds(5));

        AssertRevokedRedirect(await RevokeAsync(browser, clientId));
        var again = new OAuthFlow(http);
        var fresh = Http.Query(await browser.AuthorizeAsync(again.AuthorizeUrl(clientId, Http.McpResource), "alice", "alice"))["code"];

        await Http.AssertOAuthErrorAsync(await pending.RedeemAsync(clientId, early), HttpStatusCode.BadRequest, "invalid_grant");
        Assert.Equal(HttpStatusCode.OK, (await again.RedeemAsync(clientId, fresh)).StatusCode);
    }

    [Fact]
    public async Task ConnectedApps_ExpiredGrant_LeavesOnlyTheRememberedConsentListed()
    {
        // A grant lives as long as its refresh token; after that only the remembered consent keeps the client on the page.
        var clock = new FakeTimeProvider(new DateTimeOffset(2031, 2, 3, 4, 5, 0, TimeSpan.Zero));
        await using var app = new SampleApp(configure: o => o.SignIn.Lifetime = TimeSpan.FromDays(60), services: s => s.AddSingleton<TimeProvider>(clock));
        var http = app.CreateRawClient();
        var flow = new OAuthFlow(http);
        var clientId = await flow.RegisterAsync();
        var browser = new Browser(http);
        var location = await browser.AuthorizeAsync(flow.AuthorizeUrl(clientId, Http.McpResource), "alice", "alice");
        Assert.Equal(HttpStatusCode.OK, (await flow.RedeemAsync(clientId, Http.Query(location)["code"])).StatusCode);
        Assert.Contains("Last used", AccountPageSupport.SectionOf(await PageAsync(browser), clientId), StringComparison.Ordinal);

        clock.Advance(TimeSpan.FromDays(31));

        var section = AccountPageSupport.SectionOf(await PageAsync(browser), clientId);
        Assert.Contains("No active sign-in.", section, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectedApps_OtherMethods_AreRefused()
    {
        var response = await _http.SendAsync(new HttpRequestMessage(HttpMethod.Put, "/oauth/apps"));

        await Http.AssertOAuthErrorAsync(response, HttpStatusCode.MethodNotAllowed, "invalid_request");
        Assert.Equal(["GET", "POST"], response.Content.Headers.Allow.Order(StringComparer.Ordinal));
    }
}

/// <summary>What the tests of the user's pages share: signing in, page headers, the forms of a page.</summary>
internal static partial class AccountPageSupport
{
    /// <summary>Anti-framing (X-Frame-Options and CSP frame-ancestors) and no caching.</summary>
    public static void AssertPageHeaders(HttpResponseMessage response)
    {
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Contains("frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Contains("no-store", response.Headers.CacheControl?.ToString() ?? "", StringComparison.Ordinal);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
    }

    /// <summary>Signs in on the login page with <paramref name="returnUrl"/>; returns the browser and the login POST's answer.</summary>
    public static async Task<(Browser Browser, HttpResponseMessage Response)> SignInAsync(HttpClient http, string user, string? returnUrl = null)
    {
        var browser = new Browser(http);
        var login = new Uri("http://localhost/oauth/login" + (returnUrl is null ? "" : "?ReturnUrl=" + Uri.EscapeDataString(returnUrl)));
        var page = await browser.SendAsync(login);
        var form = Browser.ParseForm(await page.Content.ReadAsStringAsync()) ?? throw new InvalidOperationException("No login form.");
        var fields = form.Hidden;
        fields["username"] = user;
        fields["password"] = user;
        var response = await browser.SendAsync(new Uri(login, form.Action), new FormUrlEncodedContent(fields));
        Assert.Contains(response.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.Redirect });
        return (browser, response);
    }

    /// <summary>
    /// An account page opened before signing in: the challenge sends to the login page with the page as ReturnUrl (also in
    /// the form), and signing in as <paramref name="user"/> comes back to it.
    /// </summary>
    public static async Task AssertChallengeSignsInAndReturnsAsync(Browser browser, Uri page, string user)
    {
        var challenge = await browser.SendAsync(page);

        Assert.Equal(HttpStatusCode.Redirect, challenge.StatusCode);
        var login = Http.Location(challenge);
        Assert.Equal("/oauth/login", login.AbsolutePath);
        Assert.Equal(page.AbsolutePath, Http.Query(login)["ReturnUrl"]);

        var loginPage = await browser.SendAsync(login);
        var form = Browser.ParseForm(await loginPage.Content.ReadAsStringAsync())!.Value;
        Assert.Equal(page.AbsolutePath, form.Hidden["ReturnUrl"]);
        var fields = form.Hidden;
        fields["username"] = user;
        fields["password"] = user;
        var signedIn = await browser.SendAsync(new Uri(login, form.Action), new FormUrlEncodedContent(fields));
        Assert.Equal(page.AbsolutePath, Http.Location(signedIn).PathAndQuery);
    }

    /// <summary>The anti-forgery field of a page's forms.</summary>
    public static (string Name, string Value) AntiforgeryField(string html)
    {
        var match = AntiforgeryRegex().Match(html);
        Assert.True(match.Success, "No anti-forgery field on the page: " + html);
        return (match.Groups["name"].Value, WebUtility.HtmlDecode(match.Groups["value"].Value));
    }

    /// <summary>The client ids of the connected-apps page's revoke forms.</summary>
    public static List<string> RevokeFormClientIds(string html)
        => [.. ClientIdRegex().Matches(html).Select(m => WebUtility.HtmlDecode(m.Groups["id"].Value))];

    /// <summary>The section of the connected-apps page whose revoke form names <paramref name="clientId"/>.</summary>
    public static string SectionOf(string html, string clientId)
    {
        var section = SectionRegex().Matches(html).Select(m => m.Value)
            .SingleOrDefault(s => s.Contains("name=\"client_id\" value=\"" + clientId + "\"", StringComparison.Ordinal));
        Assert.True(section is not null, $"No section for {clientId} on the page: {html}");
        return section;
    }

    [GeneratedRegex("<input type=\"hidden\" name=\"(?<name>__RequestVerificationToken)\" value=\"(?<value>[^\"]*)\"\\s*/?>")]
    private static partial Regex AntiforgeryRegex();

    [GeneratedRegex("<input type=\"hidden\" name=\"client_id\" value=\"(?<id>[^\"]*)\"\\s*/?>")]
    private static partial Regex ClientIdRegex();

    [GeneratedRegex("<section class=\"app\">.*?</section>", RegexOptions.Singleline)]
    private static partial Regex SectionRegex();
}
