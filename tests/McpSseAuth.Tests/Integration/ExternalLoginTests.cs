using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using McpSseAuth.Identity;
using McpSseAuth.Tests.Infrastructure;
using McpSseAuth.Users;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OAuth;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;

namespace McpSseAuth.Tests.Integration;

/// <summary>
/// A provider behind a real <c>AddOAuth</c> scheme: its browser-facing endpoints are unreachable (the test plays the browser
/// coming back), its token and user endpoints answer through the scheme's back-channel.
/// </summary>
public sealed class FakeProvider : HttpMessageHandler
{
    public const string AuthorizationEndpoint = "https://idp.invalid/authorize";
    public const string TokenEndpoint = "https://idp.invalid/token";
    public const string UserInformationEndpoint = "https://idp.invalid/user";

    private readonly ConcurrentDictionary<string, string> _users = new(StringComparer.Ordinal);

    /// <summary>Makes a code the provider will accept once for the user described by <paramref name="userJson"/>.</summary>
    public string CodeFor(string userJson)
    {
        var code = Guid.NewGuid().ToString("N");
        _users[code] = userJson;
        return code;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.RequestUri!.AbsoluteUri == TokenEndpoint)
        {
            var form = QueryHelpers.ParseQuery(await request.Content!.ReadAsStringAsync(cancellationToken));
            return form["grant_type"] == "authorization_code" && _users.ContainsKey(form["code"].ToString())
                ? Json(HttpStatusCode.OK, $$"""{"access_token":"upstream-at-{{form["code"]}}","refresh_token":"upstream-rt","token_type":"Bearer","expires_in":3600}""")
                : Json(HttpStatusCode.BadRequest, """{"error":"invalid_grant"}""");
        }

        if (request.RequestUri.AbsoluteUri == UserInformationEndpoint &&
            request.Headers.Authorization?.Parameter is { } token && token.StartsWith("upstream-at-", StringComparison.Ordinal) &&
            _users.TryGetValue(token["upstream-at-".Length..], out var user))
        {
            return Json(HttpStatusCode.OK, user);
        }

        return new HttpResponseMessage(HttpStatusCode.NotFound);
    }

    private static HttpResponseMessage Json(HttpStatusCode status, string body)
        => new(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
}

/// <summary>The sample app with local users and two remote schemes, "fake" (working back-channel) and "other"; e-mail rules on.</summary>
public sealed class ExternalLoginFixture : IAsyncLifetime
{
    public const string BlockedEmail = "blocked@example.com";

    public FakeProvider Provider { get; } = new();

    public SampleApp App { get; }

    public ExternalLoginFixture()
    {
        App = new SampleApp(
            configure: o =>
            {
                o.SignIn.MaxFailedAttempts = 1_000;
                o.SignIn.Schemes.Add("fake");
                o.SignIn.Schemes.Add("other");
                o.SignIn.AccessRules.AllowedEmailDomains.Add("example.com");
                o.Tokens.AccessTokenClaims.Add("login");
                o.Events.OnSigningIn = context =>
                {
                    if (context.Principal.FindFirst("email")?.Value == BlockedEmail)
                    {
                        context.Refuse("Blocked by the <b>test</b> policy.");
                    }

                    return Task.CompletedTask;
                };
            },
            services: s => AddSchemes(s, Provider));
    }

    public static void AddSchemes(IServiceCollection services, FakeProvider provider)
    {
        services.AddAuthentication()
            .AddOAuth("fake", "Fake IdP", o => ConfigureFake(o, provider))
            .AddOAuth("other", "Other <IdP>", o =>
            {
                o.ClientId = "other-client";
                o.ClientSecret = "other-secret";
                o.AuthorizationEndpoint = "https://other-idp.invalid/authorize";
                o.TokenEndpoint = "https://other-idp.invalid/token";
                o.CallbackPath = "/signin-other";
            });
    }

    public static void ConfigureFake(OAuthOptions o, FakeProvider provider)
    {
        o.ClientId = "fake-client";
        o.ClientSecret = "fake-secret";
        o.AuthorizationEndpoint = FakeProvider.AuthorizationEndpoint;
        o.TokenEndpoint = FakeProvider.TokenEndpoint;
        o.UserInformationEndpoint = FakeProvider.UserInformationEndpoint;
        o.CallbackPath = "/signin-fake";
        o.BackchannelHttpHandler = provider;
        // The test server speaks http: the correlation cookie must come back over it.
        o.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        o.ClaimActions.MapJsonKey("sub", "id");
        o.ClaimActions.MapJsonKey("name", "name");
        o.ClaimActions.MapJsonKey("email", "email");
        o.ClaimActions.MapJsonKey("email_verified", "email_verified");
        o.ClaimActions.MapJsonKey("login", "login");
        o.Events.OnCreatingTicket = async context =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, context.Options.UserInformationEndpoint);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", context.AccessToken);
            using var response = await context.Backchannel.SendAsync(request, context.HttpContext.RequestAborted);
            response.EnsureSuccessStatusCode();
            using var user = JsonDocument.Parse(await response.Content.ReadAsStringAsync(context.HttpContext.RequestAborted));
            context.RunClaimActions(user.RootElement);
        };
    }

    public HttpClient CreateClient() => App.CreateRawClient();

    public Task InitializeAsync()
    {
        _ = App.Server;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await App.DisposeAsync();
}

/// <summary>
/// Sign-in through remote schemes: the login page's links, the challenge carrying the return URL, the callback that signs the
/// user in as a stable subject (or refuses them with a reason), and every failure ending on a page, never a 500.
/// </summary>
public sealed partial class ExternalLoginTests(ExternalLoginFixture fixture) : IClassFixture<ExternalLoginFixture>
{
    private const string Jane = """{"id":12345,"login":"jane-gh","name":"Jane Doe","email":"jane@example.com","email_verified":true}""";
    private static readonly Uri Login = new("http://localhost/oauth/login");
    private readonly HttpClient _http = fixture.CreateClient();

    private static string LoginWith(string query) => "http://localhost/oauth/login?" + query;

    private static List<(string Href, string Text)> ProviderLinks(string html)
        => [.. ProviderLinkRegex().Matches(html).Select(m => (WebUtility.HtmlDecode(m.Groups["href"].Value), m.Groups["text"].Value))];

    /// <summary>The state the scheme sent to the provider, opened with the scheme's own data format.</summary>
    private AuthenticationProperties StateOf(Uri providerRedirect)
    {
        var state = Http.Query(providerRedirect)["state"];
        var options = fixture.App.Services.GetRequiredService<IOptionsMonitor<OAuthOptions>>().Get("fake");
        return options.StateDataFormat.Unprotect(state) ?? throw new InvalidOperationException("The state does not open.");
    }

    /// <summary>From the login page's "fake" link to the provider; returns the redirect to its authorization endpoint.</summary>
    private static async Task<Uri> StartAsync(Browser browser, string? returnUrl)
    {
        var page = await browser.SendAsync(new Uri(returnUrl is null ? Login.AbsoluteUri : LoginWith("ReturnUrl=" + Uri.EscapeDataString(returnUrl))));
        var link = ProviderLinks(await page.Content.ReadAsStringAsync()).Single(l => l.Href.Contains("provider=fake", StringComparison.Ordinal));
        var challenge = await browser.SendAsync(new Uri(Login, link.Href));
        Assert.Equal(HttpStatusCode.Redirect, challenge.StatusCode);
        var provider = challenge.Headers.Location!;
        Assert.StartsWith(FakeProvider.AuthorizationEndpoint + "?", provider.AbsoluteUri, StringComparison.Ordinal);
        return provider;
    }

    /// <summary>
    /// Plays the provider sending the browser back with a code for <paramref name="userJson"/>, through the scheme's callback;
    /// returns the answer of McpSseAuth's own callback.
    /// </summary>
    private async Task<HttpResponseMessage> ComeBackAsync(Browser browser, Uri providerRedirect, string userJson)
    {
        var query = Http.Query(providerRedirect);
        Assert.Equal("http://localhost/signin-fake", query["redirect_uri"]);
        var schemeCallback = await browser.SendAsync(new Uri(QueryHelpers.AddQueryString("http://localhost/signin-fake", new Dictionary<string, string?>
        {
            ["code"] = fixture.Provider.CodeFor(userJson),
            ["state"] = query["state"],
        })));
        Assert.True(schemeCallback.StatusCode == HttpStatusCode.Redirect, $"The scheme's callback answered {(int)schemeCallback.StatusCode}: {await schemeCallback.Content.ReadAsStringAsync()}");
        var ours = Http.Location(schemeCallback);
        Assert.Equal("/oauth/login/callback", ours.AbsolutePath);
        return await browser.SendAsync(ours);
    }

    private static async Task<bool> IsSignedInAsync(Browser browser)
        => (await browser.SendAsync(new Uri("http://localhost/oauth/apps"))).StatusCode == HttpStatusCode.OK;

    [Fact]
    public async Task LoginPage_ListsALinkPerScheme_WithDisplayNameEncoded_BesidesTheLocalForm()
    {
        var authorize = "/oauth/authorize?client_id=c&state=s";

        var response = await _http.GetAsync(LoginWith("ReturnUrl=" + Uri.EscapeDataString(authorize)));
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AccountPageSupport.AssertPageHeaders(response);
        var links = ProviderLinks(html);
        Assert.Equal(["Sign in with Fake IdP", "Sign in with Other &lt;IdP&gt;"], links.Select(l => l.Text));
        Assert.Equal("/oauth/login?provider=fake&ReturnUrl=" + Uri.EscapeDataString(authorize), links[0].Href);
        Assert.Equal("/oauth/login?provider=other&ReturnUrl=" + Uri.EscapeDataString(authorize), links[1].Href);
        Assert.Contains("Or with a local account:", html, StringComparison.Ordinal);
        Assert.Contains("name=\"password\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoginPage_WithoutReturnUrl_LinksCarryNone()
    {
        var html = await (await _http.GetAsync(Login)).Content.ReadAsStringAsync();

        Assert.Equal(["/oauth/login?provider=fake", "/oauth/login?provider=other"], ProviderLinks(html).Select(l => l.Href));
    }

    [Theory]
    [InlineData("unknown")]
    [InlineData("McpOAuth.SignIn")]
    [InlineData("McpOAuth.External")]
    [InlineData("McpOAuth.Bearer")]
    [InlineData("FAKE")]
    [InlineData("")]
    public async Task LoginPage_ProviderNotOffered_Is400Page_AndChallengesNothing(string provider)
    {
        var response = await _http.GetAsync(LoginWith("provider=" + Uri.EscapeDataString(provider) + "&ReturnUrl=%2Foauth%2Fapps"));
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
        AccountPageSupport.AssertPageHeaders(response);
        Assert.Contains("That sign-in method is not offered here.", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoginPage_ProviderLink_RedirectsToTheProvider_WithTheReturnUrlInTheProtectedState()
    {
        var browser = new Browser(_http);
        var authorize = "/oauth/authorize?response_type=code&client_id=abc&state=xyz";

        var provider = await StartAsync(browser, authorize);

        var query = Http.Query(provider);
        Assert.Equal("fake-client", query["client_id"]);
        Assert.Equal("code", query["response_type"]);
        Assert.DoesNotContain(authorize, provider.AbsoluteUri, StringComparison.Ordinal);
        var state = StateOf(provider);
        Assert.Equal(authorize, state.Items[ExternalSignIn.ReturnUrlItem]);
        Assert.Equal("fake", state.Items[ExternalSignIn.SchemeItem]);
        Assert.Equal("/oauth/login/callback", state.RedirectUri);
    }

    [Theory]
    [InlineData("/oauth/apps", "/oauth/apps")]
    [InlineData("/oauth/tokens", "/oauth/tokens")]
    [InlineData("/oauth/authorize?client_id=abc", "/oauth/authorize?client_id=abc")]
    [InlineData("/oauth/apps?x=1", "")]
    [InlineData("/oauth/apps/", "")]
    [InlineData("/oauth/appsx", "")]
    [InlineData("/OAUTH/APPS", "")]
    [InlineData("/oauth/tokens#x", "")]
    [InlineData("/oauth/logout", "")]
    [InlineData("/oauth/login", "")]
    [InlineData("/oauth/authorize", "")]
    [InlineData("/", "")]
    [InlineData("https://evil.example/oauth/apps", "")]
    [InlineData("//evil.example/oauth/apps", "")]
    [InlineData("http://localhost/oauth/apps", "")]
    public async Task LoginPage_ReturnUrl_OnlyTheAuthorizeEndpointAndTheAccountPages(string returnUrl, string kept)
    {
        var browser = new Browser(_http);

        var page = await browser.SendAsync(new Uri(LoginWith("ReturnUrl=" + Uri.EscapeDataString(returnUrl))));
        var html = await page.Content.ReadAsStringAsync();
        var challenge = await browser.SendAsync(new Uri(LoginWith("provider=fake&ReturnUrl=" + Uri.EscapeDataString(returnUrl))));

        Assert.Equal(kept, Browser.ParseForm(html)!.Value.Hidden["ReturnUrl"]);
        Assert.Equal(kept, StateOf(challenge.Headers.Location!).Items[ExternalSignIn.ReturnUrlItem]);
        if (kept.Length == 0)
        {
            Assert.DoesNotContain("evil", html, StringComparison.Ordinal);
            Assert.All(ProviderLinks(html), l => Assert.DoesNotContain("ReturnUrl", l.Href, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task LoginPage_UpstreamError_ShowsAFixedMessage_AndReflectsNothing()
    {
        var response = await _http.GetAsync(LoginWith("error=upstream&error_description=%3Cscript%3Ealert(1)%3C%2Fscript%3E&message=INJECTED-TEXT"));
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AccountPageSupport.AssertPageHeaders(response);
        Assert.Contains("Signing in with the identity provider did not complete: it was cancelled or failed. Try again.", html, StringComparison.Ordinal);
        Assert.DoesNotContain("script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("alert(1)", html, StringComparison.Ordinal);
        Assert.DoesNotContain("INJECTED", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("%3Cscript%3Ealert(1)%3C%2Fscript%3E")]
    [InlineData("access_denied")]
    [InlineData("UPSTREAM")]
    public async Task LoginPage_OtherErrorValues_ShowNoMessage_AndAreNotReflected(string error)
    {
        var html = await (await _http.GetAsync(LoginWith("error=" + error))).Content.ReadAsStringAsync();

        Assert.DoesNotContain("role=\"alert\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain(Uri.UnescapeDataString(error), html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Callback_WithoutExternalCookie_Is400ErrorPage()
    {
        var response = await _http.GetAsync("/oauth/login/callback");

        var html = await Http.AssertErrorPageAsync(response);
        AccountPageSupport.AssertPageHeaders(response);
        Assert.Contains("This sign-in has expired or did not start here.", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("mcp-oauth-external=garbage")]
    [InlineData("mcp-oauth-external=CfDJ8AAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("mcp-oauth=garbage; mcp-oauth-external=")]
    public async Task Callback_WithAForgedExternalCookie_Is400ErrorPage_Never500(string cookie)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/oauth/login/callback");
        request.Headers.Add("Cookie", cookie);

        var response = await _http.SendAsync(request);

        await Http.AssertErrorPageAsync(response);
    }

    [Fact]
    public async Task Callback_ReplayedAfterUse_Is400_TheExternalCookieIsReadOnce()
    {
        var browser = new Browser(_http);
        var first = await ComeBackAsync(browser, await StartAsync(browser, "/oauth/apps"), Jane);
        Assert.Equal(HttpStatusCode.Redirect, first.StatusCode);

        var again = await browser.SendAsync(new Uri("http://localhost/oauth/login/callback"));

        await Http.AssertErrorPageAsync(again);
    }

    [Fact]
    public async Task Callback_OnlyGet()
    {
        var response = await _http.PostAsync("/oauth/login/callback", new FormUrlEncodedContent([]));

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }

    [Fact]
    public async Task ExternalSignIn_ThroughTheFakeProvider_ReturnsToTheAccountPage_SignedIn()
    {
        var browser = new Browser(_http);

        var response = await ComeBackAsync(browser, await StartAsync(browser, "/oauth/apps"), Jane);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/oauth/apps", response.Headers.Location!.OriginalString);
        var page = await browser.SendAsync(new Uri("http://localhost/oauth/apps"));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("Signed in as <strong>Jane Doe</strong>", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExternalSignIn_WithoutReturnUrl_ShowsSignedInPage()
    {
        var browser = new Browser(_http);

        var response = await ComeBackAsync(browser, await StartAsync(browser, returnUrl: null), Jane);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AccountPageSupport.AssertPageHeaders(response);
        Assert.Contains("You are signed in.", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExternalSignIn_AuthorizationFlow_IssuesTokensForTheStableExtSubject_WithNameEmailAndListedClaims()
    {
        var browser = new Browser(_http);
        var flow = new OAuthFlow(_http);
        var clientId = await flow.RegisterAsync("External flow client");
        var login = Http.Location(await browser.SendAsync(flow.AuthorizeUrl(clientId, Http.McpResource)));
        var returnUrl = Http.Query(login)["ReturnUrl"];

        var back = await ComeBackAsync(browser, await StartAsync(browser, returnUrl), Jane);

        Assert.Equal(returnUrl, back.Headers.Location!.OriginalString);
        var consent = await browser.SendAsync(new Uri(new Uri(Http.Base), returnUrl));
        var html = await consent.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, consent.StatusCode);
        Assert.Contains("as <strong>Jane Doe</strong>", html, StringComparison.Ordinal);
        var form = Browser.ParseForm(html)!.Value;
        var fields = form.Hidden;
        fields["decision"] = "allow";
        var code = Http.Query(Http.Location(await browser.SendAsync(new Uri(new Uri(Http.Base), form.Action), new FormUrlEncodedContent(fields))))["code"];
        var tokens = await Http.ReadJsonAsync(await flow.RedeemAsync(clientId, code));
        var jwt = new JsonWebToken(tokens.GetProperty("access_token").GetString());

        // The documented subject: "scheme:<name>" stands in for the issuer of a plain OAuth scheme.
        Assert.Equal(UpstreamIdentity.SubjectFor("scheme:fake", "12345"), jwt.Subject);
        Assert.Equal("Jane Doe", jwt.GetClaim("name").Value);
        Assert.Equal("jane@example.com", jwt.GetClaim("email").Value);
        Assert.Equal("jane-gh", jwt.GetClaim("login").Value);
        Assert.False(jwt.TryGetClaim("email_verified", out _));
        Assert.False(jwt.TryGetClaim(SignedInUser.IdentityProviderClaim, out _));
        Assert.DoesNotContain("upstream-", jwt.EncodedPayload, StringComparison.Ordinal);
        using var mcp = await Http.SendHeadersAsync(_http, Http.McpInitialize("/mcp", jwt.EncodedToken));
        Assert.Equal(HttpStatusCode.OK, mcp.StatusCode);
    }

    [Fact]
    public async Task ExternalSignIn_SameUpstreamUserAgain_IsTheSameSubject_EvenWithAnotherNameAndEmail()
    {
        var tokens = fixture.App.Services.GetRequiredService<IMcpUserTokens>();
        var jane = new ClaimsPrincipal(new ClaimsIdentity([new Claim("sub", UpstreamIdentity.SubjectFor("scheme:fake", "4242"))], "Bearer"));
        var first = new Browser(_http);
        await ComeBackAsync(first, await StartAsync(first, "/oauth/apps"), """{"id":4242,"name":"Jane Doe","email":"jane@example.com","email_verified":true}""");
        var firstToken = await tokens.GetUpstreamAccessTokenAsync(jane);

        var second = new Browser(_http);
        await ComeBackAsync(second, await StartAsync(second, "/oauth/apps"), """{"id":4242,"name":"Jane Roe","email":"jane.roe@example.com","email_verified":true}""");
        var secondToken = await tokens.GetUpstreamAccessTokenAsync(jane);

        // Each sign-in saved its own upstream token, both under the one subject derived from issuer and id.
        Assert.NotNull(firstToken);
        Assert.NotNull(secondToken);
        Assert.NotEqual(firstToken, secondToken);
        Assert.Contains("Signed in as <strong>Jane Roe</strong>", await (await second.SendAsync(new Uri("http://localhost/oauth/apps"))).Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExternalSignIn_KeepsTheUpstreamAccessTokenForTools_OnlyForThatUser()
    {
        var browser = new Browser(_http);
        var provider = await StartAsync(browser, "/oauth/apps");
        await ComeBackAsync(browser, provider, """{"id":777,"name":"Tool User","email":"tools@example.com","email_verified":true}""");
        var tokens = fixture.App.Services.GetRequiredService<IMcpUserTokens>();
        static ClaimsPrincipal User(string sub) => new(new ClaimsIdentity([new Claim("sub", sub)], "Bearer"));

        var upstream = await tokens.GetUpstreamAccessTokenAsync(User(UpstreamIdentity.SubjectFor("scheme:fake", "777")));

        Assert.NotNull(upstream);
        Assert.StartsWith("upstream-at-", upstream, StringComparison.Ordinal);
        Assert.Null(await tokens.GetUpstreamAccessTokenAsync(User("alice")));
        Assert.Null(await tokens.GetUpstreamAccessTokenAsync(User(UpstreamIdentity.SubjectFor("scheme:fake", "778"))));
    }

    [Fact]
    public async Task ExternalSignIn_RefusedByAccessRules_Is403WithTheReason_AndAnAccessDeniedLink_AndNoSignIn()
    {
        var browser = new Browser(_http);
        var flow = new OAuthFlow(_http);
        var clientId = await flow.RegisterAsync();
        var authorize = flow.AuthorizeUrl(clientId, Http.McpResource);
        var returnUrl = Http.Query(Http.Location(await browser.SendAsync(authorize)))["ReturnUrl"];

        var response = await ComeBackAsync(browser, await StartAsync(browser, returnUrl), """{"id":666,"name":"Mallory","email":"mallory@evil.example","email_verified":true}""");
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        AccountPageSupport.AssertPageHeaders(response);
        Assert.Contains("The account mallory@evil.example is not allowed to use this server.", html, StringComparison.Ordinal);
        var link = Regex.Match(html, "<a href=\"(?<href>[^\"]*)\" rel=\"noreferrer\">Return to the application \\(127\\.0\\.0\\.1:7777\\)</a>");
        Assert.True(link.Success, html);
        var back = new Uri(WebUtility.HtmlDecode(link.Groups["href"].Value));
        Assert.StartsWith(OAuthFlow.RedirectUri + "?", back.AbsoluteUri, StringComparison.Ordinal);
        Assert.Equal("access_denied", Http.Query(back)["error"]);
        Assert.Equal(flow.State, Http.Query(back)["state"]);
        Assert.Equal("http://localhost", Http.Query(back)["iss"]);
        Assert.False(await IsSignedInAsync(browser));
        Assert.Null(await fixture.App.Services.GetRequiredService<IMcpUserTokens>().GetUpstreamAccessTokenAsync(
            new ClaimsPrincipal(new ClaimsIdentity([new Claim("sub", UpstreamIdentity.SubjectFor("scheme:fake", "666"))], "Bearer"))));
    }

    [Fact]
    public async Task ExternalSignIn_UnverifiedEmailInAnAllowedDomain_IsRefused()
    {
        var browser = new Browser(_http);

        var response = await ComeBackAsync(browser, await StartAsync(browser, "/oauth/apps"), """{"id":555,"email":"someone@example.com","email_verified":false}""");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("has not verified the e-mail address someone@example.com", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(await IsSignedInAsync(browser));
    }

    [Fact]
    public async Task ExternalSignIn_RefusedByOnSigningIn_ShowsItsReasonEncoded_WithoutALinkWhenNotAuthorizing()
    {
        var browser = new Browser(_http);

        var response = await ComeBackAsync(browser, await StartAsync(browser, "/oauth/apps"), $$"""{"id":444,"email":"{{ExternalLoginFixture.BlockedEmail}}","email_verified":true}""");
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("Blocked by the &lt;b&gt;test&lt;/b&gt; policy.", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Return to the application", html, StringComparison.Ordinal);
        Assert.False(await IsSignedInAsync(browser));
    }

    [Fact]
    public async Task ExternalSignIn_NoSubjectFromTheProvider_Is403_NotSignedIn()
    {
        var browser = new Browser(_http);

        var response = await ComeBackAsync(browser, await StartAsync(browser, "/oauth/apps"), """{"name":"Nobody","email":"nobody@example.com","email_verified":true}""");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("did not say who you are", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(await IsSignedInAsync(browser));
    }

    [Fact]
    public async Task ExternalSignIn_ProviderAnswersWithAnError_BackToTheLoginPageWithTheMessage_KeepingTheReturnUrl()
    {
        var browser = new Browser(_http);
        var provider = await StartAsync(browser, "/oauth/apps");

        var response = await browser.SendAsync(new Uri("http://localhost/signin-fake?error=access_denied&error_description=%3Cb%3Eno%3C%2Fb%3E&state=" + Uri.EscapeDataString(Http.Query(provider)["state"])));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var login = Http.Location(response);
        Assert.Equal("/oauth/login", login.AbsolutePath);
        Assert.Equal("upstream", Http.Query(login)["error"]);
        Assert.Equal("/oauth/apps", Http.Query(login)["ReturnUrl"]);
        var page = await (await browser.SendAsync(login)).Content.ReadAsStringAsync();
        Assert.Contains("Signing in with the identity provider did not complete", page, StringComparison.Ordinal);
        Assert.Equal("/oauth/apps", Browser.ParseForm(page)!.Value.Hidden["ReturnUrl"]);
        Assert.False(await IsSignedInAsync(browser));
    }

    [Theory]
    [InlineData("code=abc&state=forged")]
    [InlineData("code=abc")]
    [InlineData("")]
    public async Task ExternalSignIn_SchemeCallbackWithBadState_BackToTheLoginPage_Never500(string query)
    {
        var response = await _http.GetAsync("/signin-fake?" + query);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var login = Http.Location(response);
        Assert.Equal("/oauth/login", login.AbsolutePath);
        Assert.Equal("upstream", Http.Query(login)["error"]);
    }

    [Fact]
    public async Task ExternalSignIn_CodeRefusedByTheProvider_BackToTheLoginPage()
    {
        var browser = new Browser(_http);
        var provider = await StartAsync(browser, "/oauth/apps");

        // A code the provider never issued: its token endpoint answers invalid_grant.
        var response = await browser.SendAsync(new Uri("http://localhost/signin-fake?code=never-issued&state=" + Uri.EscapeDataString(Http.Query(provider)["state"])));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("upstream", Http.Query(Http.Location(response))["error"]);
        Assert.False(await IsSignedInAsync(browser));
    }

    [Fact]
    public async Task ExternalSignIn_LocalLoginStillWorksBesideTheSchemes()
    {
        var (browser, response) = await AccountPageSupport.SignInAsync(_http, "alice", "/oauth/apps");

        Assert.Equal("/oauth/apps", response.Headers.Location!.OriginalString);
        Assert.True(await IsSignedInAsync(browser));
    }

    [Fact]
    public async Task Authorize_WithChallengeScheme_GoesStraightToTheProvider_KeepingTheRequest()
    {
        var provider = new FakeProvider();
        await using var app = new SampleApp(
            configure: o =>
            {
                o.SignIn.Schemes.Add("fake");
                o.SignIn.ChallengeScheme = "fake";
            },
            services: s => s.AddAuthentication().AddOAuth("fake", "Fake IdP", o => ExternalLoginFixture.ConfigureFake(o, provider)));
        var http = app.CreateRawClient();
        var flow = new OAuthFlow(http);
        var authorize = flow.AuthorizeUrl(await flow.RegisterAsync(), Http.McpResource);

        var response = await http.GetAsync(authorize);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith(FakeProvider.AuthorizationEndpoint + "?", response.Headers.Location!.AbsoluteUri, StringComparison.Ordinal);
        var state = app.Services.GetRequiredService<IOptionsMonitor<OAuthOptions>>().Get("fake").StateDataFormat.Unprotect(Http.Query(response.Headers.Location)["state"])!;
        Assert.Equal(authorize.PathAndQuery, state.Items[ExternalSignIn.ReturnUrlItem]);
    }

    [Fact]
    public async Task Authorize_NoLocalUsersAndOneScheme_GoesStraightToTheProvider()
    {
        var provider = new FakeProvider();
        await using var app = new SampleApp(
            configure: o =>
            {
                o.Users.Clear();
                o.SignIn.Schemes.Add("fake");
            },
            services: s => s.AddAuthentication().AddOAuth("fake", "Fake IdP", o => ExternalLoginFixture.ConfigureFake(o, provider)));
        var http = app.CreateRawClient();
        var flow = new OAuthFlow(http);

        var response = await http.GetAsync(flow.AuthorizeUrl(await flow.RegisterAsync(), Http.McpResource));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith(FakeProvider.AuthorizationEndpoint + "?", response.Headers.Location!.AbsoluteUri, StringComparison.Ordinal);
    }

    [GeneratedRegex("<a class=\"button\" href=\"(?<href>[^\"]*)\">(?<text>[^<]*)</a>")]
    private static partial Regex ProviderLinkRegex();
}
