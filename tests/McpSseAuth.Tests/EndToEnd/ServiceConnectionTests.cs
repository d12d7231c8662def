using System.Net;
using System.Security.Claims;
using System.Text.Json;
using McpSseAuth.Tests.Infrastructure;
using McpSseAuth.Tests.Integration;
using McpSseAuth.UserTokens;
using Microsoft.Extensions.DependencyInjection;

namespace McpSseAuth.Tests.EndToEnd;

/// <summary>
/// A service users connect rather than paste a token for (<see cref="McpServiceTokenDefinition.ConnectScheme"/>), against a
/// real OAuth server (oidc-provider): the user connects on the service-tokens page through ASP.NET Core's OAuth handler,
/// tools get the access token refreshed before it expires (it lives 30 s, the margin is a minute), and a connection whose
/// refresh token the provider revoked is marked lost on the page.
/// </summary>
public sealed class ServiceConnectionTests : IAsyncLifetime
{
    private OidcProvider _provider = null!;
    private UpstreamApp _app = null!;

    public async Task InitializeAsync()
    {
        _provider = await OidcProvider.StartAsync(accessTokenTtlSeconds: 30);
        _app = new UpstreamApp(UpstreamApp.SettingsFor(_provider, ("Upstream:Authority", null), ("NoDemoUsers", null)), services =>
        {
            services.AddAuthentication().AddOAuth("tracker", o =>
            {
                o.AuthorizationEndpoint = _provider.Issuer + "/auth";
                o.TokenEndpoint = _provider.Issuer + "/token";
                o.ClientId = _provider.ClientId;
                o.ClientSecret = _provider.ClientSecret;
                o.CallbackPath = "/signin-tracker";
                o.UsePkce = true;
                o.Scope.Add("openid");
                o.Scope.Add("offline_access");
                o.AdditionalAuthorizationParameters["prompt"] = "consent";   // oidc-provider issues refresh tokens after consent
            });
            services.PostConfigure<McpOAuthOptions>(o => o.ServiceTokens.Add(new McpServiceTokenDefinition { Name = "tracker", DisplayName = "Tracker", ConnectScheme = "tracker" }));
        });
        _ = _app.BaseAddress;
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _provider.DisposeAsync();
    }

    [Fact]
    public async Task AUserConnectsTheirAccount_ToolsGetItsTokenRefreshed_AndARevokedConnectionIsMarkedLost()
    {
        using var browser = new UpstreamBrowser(_app.BaseAddress, _provider);
        var tokensPage = new Uri(_app.BaseAddress, "/oauth/tokens");
        await SignInLocallyAsync(browser, "alice");
        var before = (await browser.SendAsync(tokensPage)).Body;
        Assert.Contains("Not connected.", before, StringComparison.Ordinal);

        var (name, value) = AccountPageSupport.AntiforgeryField(before);
        var connect = await browser.SendAsync(tokensPage, new FormUrlEncodedContent(new Dictionary<string, string> { [name] = value, ["service"] = "tracker", ["action"] = "connect" }));
        Assert.StartsWith(_provider.Issuer, connect.Location!.AbsoluteUri, StringComparison.Ordinal);
        var back = await browser.AuthorizeAsync(connect.Location, tokensPage);
        Assert.Equal("?done=connected", back!.Query);
        Assert.Contains("Connected.", (await browser.SendAsync(tokensPage)).Body, StringComparison.Ordinal);

        var tokens = _app.Services.GetRequiredService<IMcpUserTokens>();
        var alice = new ClaimsPrincipal(new ClaimsIdentity([new Claim("sub", "alice")], "test"));
        var first = await tokens.GetServiceTokenAsync(alice, "tracker");
        var second = await tokens.GetServiceTokenAsync(alice, "tracker");
        Assert.False(string.IsNullOrEmpty(first));
        Assert.NotEqual(first, second);   // each expires within the margin, so each use refreshes it
        await Assert.ThrowsAsync<ArgumentException>(() => tokens.SetServiceTokenAsync(alice, "tracker", "pasted").AsTask());

        // The provider revokes the connection's refresh token: the next use cannot refresh, and the page says so.
        var stored = await _app.Services.GetRequiredService<UserSecrets>().ReadAsync("alice", "connected:tracker", default);
        var refreshToken = JsonDocument.Parse(stored!).RootElement.GetProperty("refresh_token").GetString()!;
        using (var http = new HttpClient())
        using (var revoked = await http.PostAsync(_provider.Issuer + "/token/revocation", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["token"] = refreshToken, ["client_id"] = _provider.ClientId, ["client_secret"] = _provider.ClientSecret,
        })))
        {
            Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        }

        Assert.Null(await tokens.GetServiceTokenAsync(alice, "tracker"));
        var after = (await browser.SendAsync(tokensPage)).Body;
        Assert.Contains("The connection stopped working", after, StringComparison.Ordinal);
        Assert.Contains("value=\"connect\"", after, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AConnectionEndingForAnotherSignedInUser_IsNotKept()
    {
        using var browser = new UpstreamBrowser(_app.BaseAddress, _provider);
        var tokensPage = new Uri(_app.BaseAddress, "/oauth/tokens");
        await SignInLocallyAsync(browser, "bob");
        var (name, value) = AccountPageSupport.AntiforgeryField((await browser.SendAsync(tokensPage)).Body);
        var connect = await browser.SendAsync(tokensPage, new FormUrlEncodedContent(new Dictionary<string, string> { [name] = value, ["service"] = "tracker", ["action"] = "connect" }));

        // Before the provider answers, the browser's app session becomes alice's (an attacker's link opened by a victim).
        await SignInLocallyAsync(browser, "alice");
        var back = await browser.AuthorizeAsync(connect.Location!, tokensPage);

        Assert.Null(back);   // the page with the error, not a redirect to the connected page
        Assert.Contains("Connecting did not complete", browser.LastPage!.Body, StringComparison.Ordinal);
        var bob = new ClaimsPrincipal(new ClaimsIdentity([new Claim("sub", "bob")], "test"));
        var alice = new ClaimsPrincipal(new ClaimsIdentity([new Claim("sub", "alice")], "test"));
        Assert.Null(await _app.Services.GetRequiredService<IMcpUserTokens>().GetServiceTokenAsync(alice, "tracker"));
        Assert.Null(await _app.Services.GetRequiredService<IMcpUserTokens>().GetServiceTokenAsync(bob, "tracker"));
    }

    private async Task SignInLocallyAsync(UpstreamBrowser browser, string user)
    {
        var login = new Uri(_app.BaseAddress, "/oauth/login?ReturnUrl=%2Foauth%2Ftokens");
        var page = await browser.SendAsync(login);
        var form = Browser.ParseForm(page.Body) ?? throw new InvalidOperationException("No login form: " + page.Body);
        var fields = form.Hidden;
        fields["username"] = user;
        fields["password"] = user;
        var signedIn = await browser.SendAsync(new Uri(login, form.Action), new FormUrlEncodedContent(fields));
        Assert.Equal("/oauth/tokens", signedIn.Location?.AbsolutePath);
    }
}
