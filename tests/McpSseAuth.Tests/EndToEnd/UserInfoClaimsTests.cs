using System.Net;
using McpSseAuth.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace McpSseAuth.Tests.EndToEnd;

/// <summary>
/// The claims the access rules read arrive the way the spec sends them: a real OpenID provider (npm oidc-provider) that
/// puts <c>sub</c> alone in the ID token and <c>email</c>, <c>email_verified</c>, <c>hd</c> and <c>groups</c> only at its
/// UserInfo endpoint (OpenID Connect Core §5.4). McpSseAuth fetches and keeps them for every OpenID Connect scheme in
/// SignInSchemes, whatever the scheme's own setting; a claim the provider does not send is named on the refusal page.
/// </summary>
public sealed class UserInfoClaimsTests : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _disposables = [];
    private OidcProvider _provider = null!;

    public async Task InitializeAsync() => _provider = await OidcProvider.StartAsync(userInfoOnly: true);

    public async Task DisposeAsync()
    {
        foreach (var disposable in Enumerable.Reverse(_disposables))
        {
            await disposable.DisposeAsync();
        }

        await _provider.DisposeAsync();
    }

    private UpstreamApp Start(params (string Key, string? Value)[] settings)
    {
        // The scheme as an app would configure it by default: no UserInfo call. McpSseAuth must make it.
        var app = new UpstreamApp(UpstreamApp.SettingsFor(_provider, settings), s => s.Configure<OpenIdConnectOptions>("upstream", o => o.GetClaimsFromUserInfoEndpoint = false));
        _disposables.Add(app);
        return app;
    }

    private static readonly (string, string?)[] WithGroups =
    [
        ("Upstream:Scopes:0", "openid"),
        ("Upstream:Scopes:1", "profile"),
        ("Upstream:Scopes:2", "email"),
        ("Upstream:Scopes:3", "groups"),
        ("Upstream:Scopes:4", "offline_access"),
    ];

    [Fact]
    public async Task VerifiedEmailDomainAndGroup_FromUserInfoOnly_LetTheUserIn()
    {
        var app = Start([("McpOAuth:SignIn:AccessRules:AllowedEmailDomains:0", "example.com"), ("McpOAuth:SignIn:AccessRules:RequiredGroups:0", "mcp-users"), .. WithGroups]);
        using var alice = new UpstreamBrowser(app.BaseAddress, _provider) { Login = "alice@example.com" };

        await using var client = await UpstreamClients.ConnectAsync(new Uri(app.BaseAddress, "/mcp"), HttpTransportMode.StreamableHttp, alice);

        var result = await client.CallToolAsync("whoami");
        Assert.StartsWith("user=Alice Example;", Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text, StringComparison.Ordinal);
        Assert.Empty(app.Logs.WithEventId(1206));
    }

    [Fact]
    public async Task HostedDomain_FromUserInfoOnly_LetsTheUserIn()
    {
        var app = Start(("McpOAuth:SignIn:AccessRules:AllowedHostedDomains:0", "example.com"), ("McpOAuth:SignIn:AccessRules:HostedDomainIssuers:0", _provider.Issuer));
        using var carol = new UpstreamBrowser(app.BaseAddress, _provider) { Login = "unverified-carol@example.com" };

        await using var client = await UpstreamClients.ConnectAsync(new Uri(app.BaseAddress, "/mcp"), HttpTransportMode.StreamableHttp, carol);

        Assert.Empty(app.Logs.WithEventId(1206));
    }

    [Fact]
    public async Task AClaimTheProviderDoesNotSend_IsNamedOnTheRefusalPage()
    {
        // The groups scope is not asked for, so the provider sends no groups claim at all.
        var app = Start(("McpOAuth:SignIn:AccessRules:RequiredGroups:0", "mcp-users"));
        using var alice = new UpstreamBrowser(app.BaseAddress, _provider) { Login = "alice@example.com" };

        var error = await Assert.ThrowsAnyAsync<Exception>(() => UpstreamClients.ConnectAsync(new Uri(app.BaseAddress, "/mcp"), HttpTransportMode.StreamableHttp, alice));

        Assert.Contains("access_denied", error.ToString(), StringComparison.Ordinal);
        var refused = Assert.Single(alice.ServerVisits, v => v.Status == HttpStatusCode.Forbidden);
        Assert.Contains("no groups or group claim in its ID token or UserInfo", refused.Body, StringComparison.Ordinal);
    }
}
