using System.Buffers.Text;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using McpSseAuth.Tests.Infrastructure;
using McpSseAuth.Users;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Playwright;

namespace McpSseAuth.Tests.EndToEnd;

/// <summary>
/// One sample server (real Kestrel) signing users in through a real OpenID Connect provider (oidc-provider on loopback,
/// display name <see cref="ProviderName"/>, only @example.com e-mail addresses allowed) besides the local users alice and
/// bob, and one headless Chromium, shared by the tests of <see cref="AccountPagesBrowserTests"/>. Each test opens its own
/// browser context (no shared cookies).
/// </summary>
public sealed class AccountPagesFixture : IAsyncLifetime
{
    public const string ProviderName = "Example Identity";

    public OidcProvider Provider { get; private set; } = null!;

    public UpstreamApp App { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    private IPlaywright? _playwright;

    public async Task InitializeAsync()
    {
        Provider = await OidcProvider.StartAsync();
        App = new UpstreamApp(UpstreamApp.SettingsFor(
            Provider,
            ("NoDemoUsers", null),
            ("Upstream:DisplayName", ProviderName),
            ("McpOAuth:SignIn:AccessRules:AllowedEmailDomains:0", "example.com"),
            ("McpOAuth:Operators:Access:AllowedUsers:0", "alice")));
        _ = App.BaseAddress;   // starts Kestrel
        (_playwright, Browser) = await Chromium.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (App is not null)
        {
            await App.DisposeAsync();
        }

        if (Provider is not null)
        {
            await Provider.DisposeAsync();
        }
    }
}

/// <summary>
/// The pages a person uses, clicked through in headless Chromium: sign-in through an upstream provider (and its refusal
/// by the access rules), consent and remembered consent, connected apps with revocation, service tokens, sign out; with
/// the client's own name shown as text, the account pages never framed, and the sign-in cookie HttpOnly and SameSite=Lax.
/// Every page visited is saved as a PNG in <see cref="Chromium.ScreenshotFolder"/>.
/// </summary>
public sealed class AccountPagesBrowserTests(AccountPagesFixture fixture) : IClassFixture<AccountPagesFixture>
{
    private const string ProviderName = AccountPagesFixture.ProviderName;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    private UpstreamApp App => fixture.App;

    private string Resource => Url("/mcp");

    private string Url(string path) => new Uri(App.BaseAddress, path).ToString();

    [Fact]
    public async Task Upstream_ClickedThroughLoginProviderAndConsent_ClientReceivesCodeStateAndIssuer()
    {
        using var http = App.CreateRawClient();
        var flow = new OAuthFlow(http);
        await using var s = await OpenAsync();
        var clientId = await flow.RegisterAsync("Upstream browser client", s.RedirectUri);

        // The authorization request sends the signed-out user to the login page, which offers the provider.
        await s.Page.GotoAsync(flow.AuthorizeUrl(clientId, Resource, s.RedirectUri).ToString());
        Assert.Equal(Url("/oauth/login"), s.Page.Url.Split('?')[0]);
        await Chromium.ScreenshotAsync(s.Page, "01-login");

        // The provider's own login form.
        await s.Page.GetByRole(AriaRole.Link, new() { Name = "Sign in with " + ProviderName, Exact = true }).ClickAsync();
        await ArrivedAsync(s.Page, u => u.StartsWith(fixture.Provider.Issuer + "/interaction/", StringComparison.Ordinal));
        await s.Page.Locator("input[name=login]").WaitForAsync();
        await Chromium.ScreenshotAsync(s.Page, "02-provider-login");
        await SubmitProviderLoginAsync(s.Page, "alice@example.com");

        // Back on this server, signed in as the upstream user, at the consent page of the original request.
        await s.Page.Locator("button[name=decision][value=allow]").WaitForAsync();
        Assert.StartsWith(Url("/oauth/authorize?"), s.Page.Url, StringComparison.Ordinal);
        var consent = await s.Page.InnerTextAsync("body");
        Assert.Contains("Upstream browser client", consent, StringComparison.Ordinal);
        Assert.Contains(s.RedirectHost, consent, StringComparison.Ordinal);
        Assert.Contains("Alice Example", consent, StringComparison.Ordinal);
        Assert.Contains("Use the tools, prompts and resources of this MCP server", consent, StringComparison.Ordinal);
        await Chromium.ScreenshotAsync(s.Page, "03-consent-upstream");

        await s.Page.ClickAsync("button[name=decision][value=allow]");
        var query = QueryHelpers.ParseQuery((await s.NextCallbackAsync()).Query);
        Assert.False(string.IsNullOrEmpty(query["code"]));
        Assert.Equal(flow.State, query["state"].ToString());
        Assert.Equal(App.Issuer, query["iss"].ToString());
        Assert.Empty(s.Dialogs);

        // The code is real, and the token's subject is the upstream user (pairwise from the provider's issuer and sub).
        using var redeemed = await flow.RedeemAsync(clientId, query["code"]!, redirectUri: s.RedirectUri);
        Assert.Equal(HttpStatusCode.OK, redeemed.StatusCode);
        using var tokens = JsonDocument.Parse(await redeemed.Content.ReadAsStringAsync());
        var claims = JwtPayload(tokens.RootElement.GetProperty("access_token").GetString()!);
        Assert.Equal(UpstreamIdentity.SubjectFor(fixture.Provider.Issuer, ProviderSubject("alice@example.com")), claims.GetProperty("sub").GetString());
    }

    [Fact]
    public async Task ConnectedApps_RevokeClicked_ClientGoneRefreshRefusedAndConsentAskedAgain()
    {
        const string name = "Tom & Jerry's <Tools> \"v2\"";
        using var http = App.CreateRawClient();
        var flow = new OAuthFlow(http);
        await using var s = await OpenAsync();
        var clientId = await flow.RegisterAsync(name, s.RedirectUri);

        // Sign in locally and allow; the client redeems the code.
        await s.Page.GotoAsync(flow.AuthorizeUrl(clientId, Resource, s.RedirectUri).ToString());
        await SignInLocallyAsync(s.Page, "alice");
        await s.Page.ClickAsync("button[name=decision][value=allow]");
        var code = QueryHelpers.ParseQuery((await s.NextCallbackAsync()).Query)["code"].ToString();
        var refreshToken = await RedeemForRefreshTokenAsync(flow, clientId, code, s.RedirectUri);

        // Remembered consent: a second authorization goes straight back to the client, no page. The client keeps that
        // code for later.
        await s.Page.GotoAsync(flow.AuthorizeUrl(clientId, Resource, s.RedirectUri).ToString());
        var unredeemedCode = QueryHelpers.ParseQuery((await s.NextCallbackAsync()).Query)["code"].ToString();
        Assert.False(string.IsNullOrEmpty(unredeemedCode));
        Assert.StartsWith(s.RedirectUri + "?", s.Page.Url, StringComparison.Ordinal);

        // Control: the grant works before it is revoked (and the refresh token rotates).
        refreshToken = await RefreshAsync(flow, clientId, refreshToken);

        // The connected apps page lists the client under its name, as text.
        var appsPage = await s.Page.GotoAsync(Url("/oauth/apps"));
        var app = AppSection(s.Page, name);
        Assert.Equal(1, await app.CountAsync());
        Assert.Contains("Sends you back to " + s.RedirectHost, await app.InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("<h2>Tom &amp; Jerry&#x27;s &lt;Tools&gt; &quot;v2&quot;</h2>", await appsPage!.TextAsync(), StringComparison.Ordinal);
        Assert.Equal(0, await s.Page.Locator("tools").CountAsync());
        await Chromium.ScreenshotAsync(s.Page, "04-apps-before-revoke");

        await app.GetByRole(AriaRole.Button, new() { Name = "Revoke access" }).ClickAsync();
        await ArrivedAtAsync(s.Page, "/oauth/apps?revoked=1");
        Assert.Equal("Access revoked. The application must ask you again to connect.", await s.Page.Locator("[role=status]").InnerTextAsync());
        Assert.Equal(0, await AppSection(s.Page, name).CountAsync());
        await Chromium.ScreenshotAsync(s.Page, "05-apps-after-revoke");

        // The refresh token of the revoked grant is refused.
        using var refused = await flow.RefreshAsync(clientId, refreshToken);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        using var error = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
        Assert.Equal("invalid_grant", error.RootElement.GetProperty("error").GetString());

        // So is the code the client was given before the revocation: it must not bring the access back.
        using var lateCode = await flow.RedeemAsync(clientId, unredeemedCode, redirectUri: s.RedirectUri);
        Assert.Equal(HttpStatusCode.BadRequest, lateCode.StatusCode);
        using var lateError = JsonDocument.Parse(await lateCode.Content.ReadAsStringAsync());
        Assert.Equal("invalid_grant", lateError.RootElement.GetProperty("error").GetString());

        // The consent was forgotten: the next authorization asks again.
        await s.Page.GotoAsync(flow.AuthorizeUrl(clientId, Resource, s.RedirectUri).ToString());
        await s.Page.Locator("button[name=decision][value=allow]").WaitForAsync();
        Assert.StartsWith(Url("/oauth/authorize?"), s.Page.Url, StringComparison.Ordinal);
        Assert.Empty(s.Dialogs);
    }

    [Fact]
    public async Task ServiceTokens_SavedAndDeletedByClicks_ValueNeverShown()
    {
        var secret = "ghp_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        await using var s = await OpenAsync();
        // Every page the server sends, read as it arrives (a body is gone once the browser navigates on).
        var pages = new List<(string Url, Task<string> Body)>();
        s.Page.Response += (_, response) =>
        {
            if (response.Url.StartsWith(App.Issuer, StringComparison.Ordinal) && (response.Status is < 300 or >= 400))
            {
                lock (pages)
                {
                    pages.Add((response.Url, response.TextAsync()));
                }
            }
        };

        // Signing in from the account page comes back to it.
        await s.Page.GotoAsync(Url("/oauth/tokens"));
        await SignInLocallyAsync(s.Page, "alice");
        await ArrivedAtAsync(s.Page, "/oauth/tokens");
        var github = s.Page.Locator("section.service").Filter(new() { Has = s.Page.GetByRole(AriaRole.Heading, new() { Name = "GitHub", Exact = true }) });
        Assert.Contains("No token stored.", await github.InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(0, await github.GetByRole(AriaRole.Button, new() { Name = "Delete" }).CountAsync());
        await Chromium.ScreenshotAsync(s.Page, "06-tokens-empty");

        await github.Locator("input[name=token]").FillAsync(secret);
        await github.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await ArrivedAtAsync(s.Page, "/oauth/tokens?done=saved");
        Assert.Equal("Token saved.", await s.Page.Locator("[role=status]").InnerTextAsync());
        Assert.Contains("A token is stored.", await github.InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal("", await github.Locator("input[name=token]").InputValueAsync());
        Assert.DoesNotContain(secret, await s.Page.ContentAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain(secret, s.Page.Url, StringComparison.Ordinal);
        await Chromium.ScreenshotAsync(s.Page, "07-tokens-stored");

        await github.GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await ArrivedAtAsync(s.Page, "/oauth/tokens?done=deleted");
        Assert.Equal("Token deleted.", await s.Page.Locator("[role=status]").InnerTextAsync());
        Assert.Contains("No token stored.", await github.InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(0, await github.GetByRole(AriaRole.Button, new() { Name = "Delete" }).CountAsync());
        await Chromium.ScreenshotAsync(s.Page, "08-tokens-deleted");

        // No page the server sent in the whole exchange carried the value.
        List<(string Url, Task<string> Body)> seen;
        lock (pages)
        {
            seen = [.. pages];
        }

        Assert.Contains(seen, p => p.Url == Url("/oauth/tokens?done=saved"));
        foreach (var page in seen)
        {
            Assert.DoesNotContain(secret, await page.Body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ClientNameWithMarkup_ConsentAndConnectedApps_ShowItAsTextAndNothingRuns()
    {
        const string hostile = "<img src=x onerror=alert(1)><b>Evil</b>";
        using var http = App.CreateRawClient();
        var flow = new OAuthFlow(http);
        await using var s = await OpenAsync();
        var clientId = await flow.RegisterAsync(hostile, s.RedirectUri);

        var consentPage = s.Page.WaitForResponseAsync(r => r.Url.StartsWith(Url("/oauth/authorize?"), StringComparison.Ordinal) && r.Status == 200);
        await s.Page.GotoAsync(flow.AuthorizeUrl(clientId, Resource, s.RedirectUri).ToString());
        await SignInLocallyAsync(s.Page, "bob");
        await s.Page.Locator("button[name=decision][value=allow]").WaitForAsync();
        Assert.DoesNotContain("<b>", await (await consentPage).TextAsync(), StringComparison.Ordinal);
        Assert.Contains(hostile, await s.Page.InnerTextAsync("body"), StringComparison.Ordinal);
        await AssertNoMarkupFromNameAsync(s.Page);
        await Chromium.ScreenshotAsync(s.Page, "09-consent-hostile-name");

        await s.Page.ClickAsync("button[name=decision][value=allow]");
        Assert.False(string.IsNullOrEmpty(QueryHelpers.ParseQuery((await s.NextCallbackAsync()).Query)["code"]));

        var appsPage = await s.Page.GotoAsync(Url("/oauth/apps"));
        Assert.DoesNotContain("<b>", await appsPage!.TextAsync(), StringComparison.Ordinal);
        Assert.Equal(1, await AppSection(s.Page, hostile).CountAsync());
        Assert.Equal(hostile, await AppSection(s.Page, hostile).Locator("h2").InnerTextAsync());
        await AssertNoMarkupFromNameAsync(s.Page);
        await Chromium.ScreenshotAsync(s.Page, "10-apps-hostile-name");
        Assert.Empty(s.Dialogs);
    }

    [Fact]
    public async Task Upstream_UserRefusedByAccessRules_SeesWhyAndReturnLinkTellsClientAccessDenied()
    {
        using var http = App.CreateRawClient();
        var flow = new OAuthFlow(http);
        await using var s = await OpenAsync();
        var clientId = await flow.RegisterAsync("Refusing client", s.RedirectUri);

        await s.Page.GotoAsync(flow.AuthorizeUrl(clientId, Resource, s.RedirectUri).ToString());
        await s.Page.GetByRole(AriaRole.Link, new() { Name = "Sign in with " + ProviderName, Exact = true }).ClickAsync();
        await ArrivedAsync(s.Page, u => u.StartsWith(fixture.Provider.Issuer + "/interaction/", StringComparison.Ordinal));
        await s.Page.Locator("input[name=login]").WaitForAsync();
        var deniedPage = s.Page.WaitForResponseAsync(r => r.Url.StartsWith(Url("/oauth/login/callback"), StringComparison.Ordinal), new() { Timeout = 15_000 });
        await SubmitProviderLoginAsync(s.Page, "eve@other.com");

        var denied = await deniedPage;
        Assert.Equal(403, denied.Status);
        await ArrivedAtAsync(s.Page, "/oauth/login/callback");
        Assert.Equal("Access denied", await s.Page.Locator("h1").InnerTextAsync());
        Assert.Equal(
            "The account eve@other.com is not allowed to use this server. Sign in with an account of an allowed organisation, or ask the server's administrator for access.",
            await s.Page.Locator("[role=alert]").InnerTextAsync());
        Assert.DoesNotContain(await s.Context.CookiesAsync([App.BaseAddress.ToString()]), c => c.Name.StartsWith("mcp-oauth", StringComparison.Ordinal) && !c.Name.StartsWith("mcp-oauth-external", StringComparison.Ordinal));
        await Chromium.ScreenshotAsync(s.Page, "11-access-denied");

        var back = s.Page.GetByRole(AriaRole.Link, new() { Name = $"Return to the application ({s.RedirectHost})", Exact = true });
        Assert.Contains("error=access_denied", await back.GetAttributeAsync("href"), StringComparison.Ordinal);
        await back.ClickAsync();
        var query = QueryHelpers.ParseQuery((await s.NextCallbackAsync()).Query);
        Assert.Equal("access_denied", query["error"].ToString());
        Assert.Equal(flow.State, query["state"].ToString());
        Assert.Equal(App.Issuer, query["iss"].ToString());
        Assert.False(query.ContainsKey("code"));
        Assert.Empty(s.Dialogs);
    }

    [Theory]
    [InlineData("/oauth/apps", "Connected apps", "bob")]
    [InlineData("/oauth/tokens", "Service tokens", "bob")]
    [InlineData("/oauth/operator", "Operator's view", "alice")]
    public async Task AccountPage_SignedIn_CookieIsHttpOnlyLaxAndPageIsNeverFramed(string path, string title, string user)
    {
        await using var s = await OpenAsync();
        await s.Page.GotoAsync(Url(path));
        await SignInLocallyAsync(s.Page, user);
        await ArrivedAtAsync(s.Page, path);

        // Control: on its own the page renders for the signed-in user.
        Assert.Equal(title, await s.Page.Locator("h1").InnerTextAsync());
        Assert.Contains("Signed in as " + user, await s.Page.Locator("nav").InnerTextAsync(), StringComparison.Ordinal);

        var cookies = await s.Context.CookiesAsync([App.BaseAddress.ToString()]);
        var signIn = Assert.Single(cookies, c => c.Name == "mcp-oauth");
        Assert.True(signIn.HttpOnly);
        Assert.Equal(SameSiteAttribute.Lax, signIn.SameSite);
        Assert.Equal("/", signIn.Path);

        // Another origin of the same site (127.0.0.1, another port) frames the page: the Lax cookie goes along, the
        // server answers with the user's page, and only the anti-framing headers keep the browser from showing it.
        var pageUrl = Url(path);
        await using var framing = new LoopbackServer("text/html; charset=utf-8", $"<!DOCTYPE html><html><body><iframe id=f src=\"{pageUrl}\" width=800 height=600></iframe></body></html>");
        var framed = s.Page.WaitForResponseAsync(pageUrl, new() { Timeout = 15_000 });
        await s.Page.GotoAsync(framing.Origin + "/");
        var response = await framed;
        Assert.Equal(200, response.Status);
        Assert.Equal("DENY", await response.HeaderValueAsync("x-frame-options"));
        Assert.Contains("frame-ancestors 'none'", await response.HeaderValueAsync("content-security-policy"), StringComparison.Ordinal);
        var child = Assert.Single(s.Page.Frames, f => f != s.Page.MainFrame);
        Assert.Null(await child.QuerySelectorAsync("nav"));
        Assert.Null(await child.QuerySelectorAsync("form"));
        var shown = await child.ContentAsync();
        Assert.DoesNotContain("Signed in as", shown, StringComparison.Ordinal);
        Assert.DoesNotContain(title, shown, StringComparison.Ordinal);
        await Chromium.ScreenshotAsync(s.Page, "12-framed" + path.Replace('/', '-'));
    }

    [Fact]
    public async Task OperatorView_OperatorClicksThroughToAUserAndRevokesAGrant_TheClientsRefreshIsRefused()
    {
        const string name = "Bob's <i>desk</i> client";
        using var http = App.CreateRawClient();
        var flow = new OAuthFlow(http);
        string refreshToken;
        string clientId;
        await using (var bob = await OpenAsync())
        {
            clientId = await flow.RegisterAsync(name, bob.RedirectUri);
            await bob.Page.GotoAsync(flow.AuthorizeUrl(clientId, Resource, bob.RedirectUri).ToString());
            await SignInLocallyAsync(bob.Page, "bob");
            await bob.Page.ClickAsync("button[name=decision][value=allow]");
            var code = QueryHelpers.ParseQuery((await bob.NextCallbackAsync()).Query)["code"].ToString();
            refreshToken = await RedeemForRefreshTokenAsync(flow, clientId, code, bob.RedirectUri);
            refreshToken = await RefreshAsync(flow, clientId, refreshToken);

            // bob is no operator: the view refuses him with a page that says so.
            var refused = await bob.Page.GotoAsync(Url("/oauth/operator"));
            Assert.Equal(403, refused!.Status);
            Assert.Contains("Only the server's operators may use this.", await bob.Page.InnerTextAsync("body"), StringComparison.Ordinal);
        }

        await using var s = await OpenAsync();
        await s.Page.GotoAsync(Url("/oauth/operator"));
        await SignInLocallyAsync(s.Page, "alice");
        await ArrivedAtAsync(s.Page, "/oauth/operator");
        Assert.Contains(name, await s.Page.Locator("ul.clients").InnerTextAsync(), StringComparison.Ordinal);
        await AssertNoMarkupFromNameAsync(s.Page);
        await Chromium.ScreenshotAsync(s.Page, "14-operator-overview");

        await s.Page.Locator("ul.users").GetByRole(AriaRole.Link, new() { Name = "bob", Exact = true }).ClickAsync();
        await ArrivedAtAsync(s.Page, "/oauth/operator?user=bob");
        var grant = s.Page.Locator("section.grant").Filter(new() { HasText = name });
        Assert.Equal(1, await grant.CountAsync());
        await Chromium.ScreenshotAsync(s.Page, "15-operator-user");

        await grant.GetByRole(AriaRole.Button, new() { Name = "Revoke this grant" }).ClickAsync();
        await ArrivedAtAsync(s.Page, "/oauth/operator?user=bob&done=revoke_grant");
        Assert.StartsWith("Grant revoked", await s.Page.Locator("[role=status]").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(0, await s.Page.Locator("section.grant").Filter(new() { HasText = name }).CountAsync());
        await Chromium.ScreenshotAsync(s.Page, "16-operator-revoked");

        using var afterRevoke = await flow.RefreshAsync(clientId, refreshToken);
        Assert.Equal(HttpStatusCode.BadRequest, afterRevoke.StatusCode);
        Assert.Empty(s.Dialogs);
    }

    [Fact]
    public async Task SignOut_FromTheNavigation_EndsTheSession()
    {
        await using var s = await OpenAsync();
        await s.Page.GotoAsync(Url("/oauth/apps"));
        await SignInLocallyAsync(s.Page, "bob");
        await ArrivedAtAsync(s.Page, "/oauth/apps");
        Assert.Contains(await s.Context.CookiesAsync([App.BaseAddress.ToString()]), c => c.Name == "mcp-oauth");

        await s.Page.Locator("nav").GetByRole(AriaRole.Link, new() { Name = "Sign out", Exact = true }).ClickAsync();
        await ArrivedAtAsync(s.Page, "/oauth/logout");
        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Sign out", Exact = true }).WaitForAsync();
        await Chromium.ScreenshotAsync(s.Page, "13-sign-out");
        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Sign out", Exact = true }).ClickAsync();
        await s.Page.GetByText("You are signed out.").WaitForAsync();
        Assert.DoesNotContain(await s.Context.CookiesAsync([App.BaseAddress.ToString()]), c => c.Name == "mcp-oauth");

        await s.Page.GotoAsync(Url("/oauth/apps"));
        Assert.Equal(Url("/oauth/login"), s.Page.Url.Split('?')[0]);
    }

    // ------------------------------------------------------------------------------------------------------------

    /// <summary>A fresh browser context (no cookies), and the OAuth client's redirect URI: a real loopback listener.</summary>
    private async Task<BrowserSession> OpenAsync()
    {
        var context = await fixture.Browser.NewContextAsync();
        context.SetDefaultTimeout(15_000);
        context.SetDefaultNavigationTimeout(15_000);
        var session = new BrowserSession(context, await context.NewPageAsync(), new LoopbackServer("text/plain; charset=utf-8", "client received the response"));
        session.Page.Dialog += (_, dialog) =>
        {
            lock (session.Dialogs)
            {
                session.Dialogs.Add(dialog.Message);
            }

            _ = dialog.DismissAsync();
        };
        return session;
    }

    /// <summary>
    /// Waits until the page's URL passes <paramref name="url"/> (the navigation committed); the next locator waits for
    /// what it needs. Not <c>WaitForURLAsync</c>: when the URL already matches it waits for the load event whatever
    /// <c>WaitUntil</c> says, and after a redirect chain that wait sometimes never ended although the page had loaded.
    /// </summary>
    private static async Task ArrivedAsync(IPage page, Func<string, bool> url)
    {
        var deadline = DateTimeOffset.UtcNow + Wait;
        while (!url(page.Url))
        {
            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"The browser stayed at {page.Url}.");
            }

            await Task.Delay(25);
        }
    }

    private Task ArrivedAtAsync(IPage page, string pathAndQuery)
    {
        var expected = Url(pathAndQuery);
        return ArrivedAsync(page, u => u == expected);
    }

    private static async Task SignInLocallyAsync(IPage page, string user)
    {
        await ArrivedAsync(page, u => u.Contains("/oauth/login", StringComparison.Ordinal));
        await page.FillAsync("#username", user);
        await page.FillAsync("#password", user);
        await page.Locator("form").GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
    }

    private static async Task SubmitProviderLoginAsync(IPage page, string login)
    {
        await page.FillAsync("input[name=login]", login);
        await page.FillAsync("input[name=password]", OidcProvider.Password);
        await page.ClickAsync("form[action$='/login'] button[type=submit]");
    }

    private static ILocator AppSection(IPage page, string clientName)
        => page.Locator("section.app").Filter(new() { Has = page.GetByRole(AriaRole.Heading, new() { Name = clientName, Exact = true }) });

    /// <summary>The hostile client name's markup made no element: the pages themselves use no b or img.</summary>
    private static async Task AssertNoMarkupFromNameAsync(IPage page)
    {
        Assert.Equal(0, await page.Locator("b").CountAsync());
        Assert.Equal(0, await page.Locator("img").CountAsync());
        Assert.Equal(0, await page.Locator("[onerror]").CountAsync());
    }

    private static async Task<string> RedeemForRefreshTokenAsync(OAuthFlow flow, string clientId, string code, string redirectUri)
    {
        using var response = await flow.RedeemAsync(clientId, code, redirectUri: redirectUri);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("refresh_token").GetString()!;
    }

    private static async Task<string> RefreshAsync(OAuthFlow flow, string clientId, string refreshToken)
    {
        using var response = await flow.RefreshAsync(clientId, refreshToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("refresh_token").GetString()!;
    }

    private static JsonElement JwtPayload(string jwt)
        => JsonDocument.Parse(Base64Url.DecodeFromChars(jwt.Split('.')[1])).RootElement.Clone();

    /// <summary>The provider's <c>sub</c> for a login: "u-" + the first 16 hex digits of SHA-256 of the lower-cased login.</summary>
    private static string ProviderSubject(string login)
        => "u-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(login.ToLowerInvariant())))[..16];

    /// <summary>
    /// A browser context with its page, the dialogs the page opened, and the client's redirect URI
    /// (<c>http://127.0.0.1:PORT/callback</c>, served by a listener of its own: Playwright's routing does not see the
    /// target of a redirect, and the authorization responses are redirects).
    /// </summary>
    private sealed class BrowserSession(IBrowserContext context, IPage page, LoopbackServer client) : IAsyncDisposable
    {
        public IBrowserContext Context { get; } = context;

        public IPage Page { get; } = page;

        public List<string> Dialogs { get; } = [];

        public string RedirectUri { get; } = client.Origin + "/callback";

        /// <summary>How the pages name the redirect URI's host: <c>127.0.0.1:PORT</c>.</summary>
        public string RedirectHost { get; } = new Uri(client.Origin).Authority;

        /// <summary>The next request that reached the client's redirect URI, once the page shows the client's answer.</summary>
        public async Task<Uri> NextCallbackAsync()
        {
            while (true)
            {
                var target = await client.Requests.Reader.ReadAsync().AsTask().WaitAsync(Wait);
                if (target.StartsWith("/callback?", StringComparison.Ordinal))
                {
                    var callback = new Uri(client.Origin + target);
                    await ArrivedAsync(Page, url => url.StartsWith(RedirectUri + "?", StringComparison.Ordinal));
                    return callback;
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await Context.CloseAsync();
            await client.DisposeAsync();
        }
    }

    /// <summary>
    /// An HTTP server of its own origin on loopback (a free port) that answers every request with the same body and
    /// records each request target (path and query, as sent).
    /// </summary>
    private sealed class LoopbackServer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _serving;

        public LoopbackServer(string contentType, string body)
        {
            _listener.Start();
            Origin = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
            _serving = ServeAsync(contentType, Encoding.UTF8.GetBytes(body));
        }

        public string Origin { get; }

        public Channel<string> Requests { get; } = Channel.CreateUnbounded<string>();

        private async Task ServeAsync(string contentType, byte[] body)
        {
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    _ = AnswerAsync(client, contentType, body);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException
                                      || (e is InvalidOperationException && _stop.IsCancellationRequested))
            {
                // Stopped by DisposeAsync: the listener may stop between an accept and the next (then "Not listening").
            }
        }

        private async Task AnswerAsync(TcpClient client, string contentType, byte[] body)
        {
            using (client)
            {
                try
                {
                    var stream = client.GetStream();
                    var received = new MemoryStream();
                    var buffer = new byte[8192];
                    while (received.Length < 64 * 1024 && !Encoding.ASCII.GetString(received.GetBuffer(), 0, (int)received.Length).Contains("\r\n\r\n", StringComparison.Ordinal))
                    {
                        var read = await stream.ReadAsync(buffer);
                        if (read == 0)
                        {
                            return;
                        }

                        received.Write(buffer, 0, read);
                    }

                    var requestLine = Encoding.ASCII.GetString(received.GetBuffer(), 0, (int)received.Length).Split("\r\n")[0].Split(' ');
                    if (requestLine.Length == 3)
                    {
                        Requests.Writer.TryWrite(requestLine[1]);
                    }

                    var head = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: {contentType}\r\nContent-Length: {body.Length}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n");
                    await stream.WriteAsync(head);
                    await stream.WriteAsync(body);
                }
                catch (IOException)
                {
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _serving;
            _stop.Dispose();
        }
    }
}
