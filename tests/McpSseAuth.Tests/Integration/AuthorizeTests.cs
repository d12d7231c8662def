using System.Net;
using McpSseAuth.Tests.Infrastructure;

namespace McpSseAuth.Tests.Integration;

/// <summary>
/// The authorization endpoint: until the client and its redirect URI are verified, errors are a page, never a redirect
/// (RFC 6749 §4.1.2.1); afterwards they go back to the client with <c>state</c> and <c>iss</c> (RFC 9207).
/// </summary>
public sealed class AuthorizeTests(SampleAppFixture fixture) : IClassFixture<SampleAppFixture>
{
    private readonly HttpClient _http = fixture.CreateClient();

    [Fact]
    public async Task Authorize_WithoutClientId_ShowsErrorPage()
    {
        var flow = new OAuthFlow(_http);
        var clientId = await flow.RegisterAsync();

        var response = await _http.GetAsync(flow.AuthorizeUrl(clientId, Http.McpResource, overrides: new Dictionary<string, string?> { ["client_id"] = null }));

        var html = await Http.AssertErrorPageAsync(response);
        Assert.Contains("invalid_request", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Authorize_UnknownClientId_ShowsErrorPageAndDoesNotRedirect()
    {
        var flow = new OAuthFlow(_http);

        var response = await _http.GetAsync(flow.AuthorizeUrl("no-such-client", Http.McpResource));

        var html = await Http.AssertErrorPageAsync(response);
        Assert.Contains("invalid_client", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://evil.example/callback")]
    [InlineData("http://127.0.0.1:7777/callback/../evil")]
    [InlineData("http://127.0.0.1:7777/callback?x=1")]
    [InlineData("http://127.0.0.1:7777/Callback")]
    [InlineData("http://localhost:7777/callback")]
    [InlineData("http://127.0.0.1:7777/callback#x")]
    public async Task Authorize_RedirectUriNotRegistered_ShowsErrorPageAndDoesNotRedirect(string redirectUri)
    {
        var flow = new OAuthFlow(_http);
        var clientId = await flow.RegisterAsync();

        var response = await _http.GetAsync(flow.AuthorizeUrl(clientId, Http.McpResource, redirectUri));

        await Http.AssertErrorPageAsync(response);
    }

    [Fact]
    public async Task Authorize_UnknownClient_WithOtherErrorsToo_StillShowsPageNotRedirect()
    {
        var flow = new OAuthFlow(_http);

        var response = await _http.GetAsync(flow.AuthorizeUrl("no-such-client", "https://evil.example/mcp",
            overrides: new Dictionary<string, string?> { ["response_type"] = "token", ["code_challenge"] = null }));

        await Http.AssertErrorPageAsync(response);
    }

    [Theory]
    [InlineData("code_challenge", null, "invalid_request")]
    [InlineData("code_challenge", "too-short", "invalid_request")]
    [InlineData("code_challenge_method", "plain", "invalid_request")]
    [InlineData("code_challenge_method", null, "invalid_request")]
    [InlineData("code_challenge_method", "s256", "invalid_request")]
    [InlineData("response_type", "token", "unsupported_response_type")]
    [InlineData("response_type", "code id_token", "unsupported_response_type")]
    [InlineData("response_type", null, "invalid_request")]
    [InlineData("response_mode", "fragment", "invalid_request")]
    [InlineData("scope", "mcp:tools admin", "invalid_scope")]
    [InlineData("resource", "https://evil.example/mcp", "invalid_target")]
    [InlineData("resource", "http://localhost/mcp#x", "invalid_target")]
    [InlineData("resource", "http://localhost/oauth/token", "invalid_target")]
    [InlineData("prompt", "none", "login_required")]
    [InlineData("prompt", "none login", "invalid_request")]
    public async Task Authorize_InvalidRequestAfterRedirectUriVerified_RedirectsWithErrorStateAndIss(string parameter, string? value, string error)
    {
        var flow = new OAuthFlow(_http);
        var clientId = await flow.RegisterAsync();

        var response = await _http.GetAsync(flow.AuthorizeUrl(clientId, Http.McpResource, overrides: new Dictionary<string, string?> { [parameter] = value }));

        var location = Http.Location(response);
        Assert.StartsWith(OAuthFlow.RedirectUri + "?", location.AbsoluteUri, StringComparison.Ordinal);
        var query = Http.Query(location);
        Assert.Equal(error, query["error"]);
        Assert.Equal(flow.State, query["state"]);
        Assert.Equal("http://localhost", query["iss"]);
        Assert.False(query.ContainsKey("code"));
        Assert.True(response.Headers.CacheControl?.NoStore);
    }

    [Fact]
    public async Task Authorize_NotSignedIn_RedirectsToLoginWithReturnUrl()
    {
        var flow = new OAuthFlow(_http);
        var clientId = await flow.RegisterAsync();
        var url = flow.AuthorizeUrl(clientId, Http.McpResource);

        var response = await _http.GetAsync(url);

        var location = Http.Location(response);
        Assert.Equal("localhost", location.Host);
        Assert.Equal("/oauth/login", location.AbsolutePath);
        Assert.Equal(url.PathAndQuery, Http.Query(location)["ReturnUrl"]);
    }

    [Fact]
    public async Task Authorize_LoopbackRedirectWithAnotherPort_IsAccepted()
    {
        // RFC 8252 §7.3: native apps listen on an ephemeral loopback port chosen at run time.
        var flow = new OAuthFlow(_http);
        var clientId = await flow.RegisterAsync(redirectUri: "http://127.0.0.1:7777/callback");

        var result = await flow.AuthorizeAsync(clientId, Http.McpResource, redirectUri: "http://127.0.0.1:9999/callback");

        Assert.True(result.ContainsKey("code"), string.Join(", ", result));
        var token = await flow.RedeemAsync(clientId, result["code"], redirectUri: "http://127.0.0.1:9999/callback");
        Assert.Equal(HttpStatusCode.OK, token.StatusCode);
    }

    [Fact]
    public async Task Authorize_LoopbackRedirect_FinalRedirectGoesToTheRequestedPort()
    {
        var flow = new OAuthFlow(_http);
        var clientId = await flow.RegisterAsync(redirectUri: "http://127.0.0.1:7777/callback");

        var location = await new Browser(_http).AuthorizeAsync(flow.AuthorizeUrl(clientId, Http.McpResource, "http://127.0.0.1:9999/callback"), "alice", "alice");

        Assert.Equal("http://127.0.0.1:9999/callback", location.GetLeftPart(UriPartial.Path));
    }

    [Theory]
    [InlineData("http://127.0.0.1:9999/other")]
    [InlineData("http://127.0.0.1:9999/callback/")]
    [InlineData("http://[::1]:9999/callback")]
    [InlineData("http://127.0.0.1:9999/call\r\nback")]
    [InlineData("http://127.0.0.1:99\r\n99/callback")]
    [InlineData("http://127.0.0.1:9999/callback?x=1")]
    [InlineData("http://127.0.0.1:9999@evil.example/callback")]
    public async Task Authorize_LoopbackRedirectWithAnotherPath_IsRefused(string redirectUri)
    {
        var flow = new OAuthFlow(_http);
        var clientId = await flow.RegisterAsync(redirectUri: "http://127.0.0.1:7777/callback");

        var response = await _http.GetAsync(flow.AuthorizeUrl(clientId, Http.McpResource, redirectUri));

        await Http.AssertErrorPageAsync(response);
    }

    [Fact]
    public async Task Authorize_HttpsRedirectWithAnotherPort_IsRefused()
    {
        var flow = new OAuthFlow(_http);
        var clientId = await flow.RegisterAsync(redirectUri: "https://app.example:8443/callback");

        var response = await _http.GetAsync(flow.AuthorizeUrl(clientId, Http.McpResource, "https://app.example:9443/callback"));

        await Http.AssertErrorPageAsync(response);
    }

    [Fact]
    public async Task Authorize_WithoutRedirectUri_UsesTheOnlyRegisteredOne()
    {
        var flow = new OAuthFlow(_http);
        var clientId = await flow.RegisterAsync();

        var response = await _http.GetAsync(flow.AuthorizeUrl(clientId, Http.McpResource, overrides: new Dictionary<string, string?>
        {
            ["redirect_uri"] = null,
            ["response_type"] = "token",
        }));

        Assert.StartsWith(OAuthFlow.RedirectUri + "?", Http.Location(response).AbsoluteUri, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Authorize_ErrorForAnHttpsRedirectUri_IsShownAsAPageWithALinkNotRedirected()
    {
        // Anyone may register https://evil.example: an automatic error redirect would make this an open redirector (RFC 9700 §4.11.2).
        var flow = new OAuthFlow(_http);
        var clientId = await flow.RegisterAsync(redirectUri: "https://evil.example/phish");

        var response = await _http.GetAsync(flow.AuthorizeUrl(clientId, Http.McpResource, "https://evil.example/phish",
            overrides: new Dictionary<string, string?> { ["response_type"] = "token" }));

        var html = await Http.AssertErrorPageAsync(response);
        Assert.Contains("unsupported_response_type", html, StringComparison.Ordinal);
        Assert.Contains("href=\"https://evil.example/phish?error=unsupported_response_type", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Authorize_ErrorForAnAllowedPrivateUseScheme_IsRedirected()
    {
        await using var app = new SampleApp(configure: o => o.RedirectUris.AllowedSchemes.Add("com.example.app"));
        using var http = app.CreateRawClient();
        var flow = new OAuthFlow(http);
        var clientId = await flow.RegisterAsync(redirectUri: "com.example.app:/oauth/callback");

        var response = await http.GetAsync(flow.AuthorizeUrl(clientId, Http.McpResource, "com.example.app:/oauth/callback",
            overrides: new Dictionary<string, string?> { ["code_challenge_method"] = "plain" }));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("com.example.app:/oauth/callback?error=invalid_request", response.Headers.Location!.OriginalString, StringComparison.Ordinal);
    }
}
