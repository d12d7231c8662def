using System.Net;
using McpSseAuth.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;

namespace McpSseAuth.Tests.Integration;

/// <summary>
/// <c>offline_access</c> as MCP 2026-07-28 has it (SEP-2207; authorization, "Refresh Tokens"): clients "MAY add
/// offline_access to the scope parameter of the authorization and token requests when the Authorization Server metadata
/// contains it in scopes_supported", and "MCP Servers (Protected Resources) SHOULD NOT include offline_access in
/// WWW-Authenticate scope or Protected Resource Metadata scopes_supported, as refresh tokens are not a resource
/// requirement". So: advertised by the authorization server only, accepted from clients that ask for a refresh token,
/// never a permission at the resource (not in access tokens, resource metadata or challenges).
/// </summary>
public sealed class OfflineAccessTests(SampleAppFixture fixture) : IClassFixture<SampleAppFixture>
{
    private readonly HttpClient _http = fixture.CreateClient();

    private async Task<(string ClientId, System.Text.Json.JsonElement Tokens, Browser Browser)> AuthorizeAsync(string scope, bool refresh = true)
    {
        var flow = new OAuthFlow(_http);
        var clientId = await flow.RegisterAsync(refresh: refresh);
        var browser = new Browser(_http);
        var location = await browser.AuthorizeAsync(flow.AuthorizeUrl(clientId, Http.McpResource, scope: scope), "alice", "alice");
        var response = await flow.RedeemAsync(clientId, Http.Query(location)["code"]);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (clientId, await Http.ReadJsonAsync(response), browser);
    }

    [Fact]
    public async Task AdvertisedByTheAuthorizationServer_NotByTheResource()
    {
        var server = await Http.ReadJsonAsync(await _http.GetAsync("/.well-known/oauth-authorization-server"));
        Assert.Contains("offline_access", server.GetProperty("scopes_supported").EnumerateArray().Select(s => s.GetString()));

        var resource = await Http.ReadJsonAsync(await _http.GetAsync("/.well-known/oauth-protected-resource/mcp"));
        Assert.DoesNotContain("offline_access", resource.GetProperty("scopes_supported").EnumerateArray().Select(s => s.GetString()));

        using var challenge = await _http.PostAsync("/mcp", new StringContent(Http.InitializeBody, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Unauthorized, challenge.StatusCode);
        Assert.DoesNotContain("offline_access", challenge.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Asked_GivesARefreshToken_ButTheAccessTokenCarriesOnlyResourceScopes()
    {
        var (clientId, tokens, browser) = await AuthorizeAsync("mcp:tools offline_access");

        Assert.Contains("Stay connected", browser.LastHtml, StringComparison.Ordinal);
        Assert.Equal("mcp:tools", tokens.GetProperty("scope").GetString());
        var jwt = new JsonWebTokenHandler().ReadJsonWebToken(tokens.GetProperty("access_token").GetString());
        Assert.Equal("mcp:tools", jwt.GetPayloadValue<string>("scope"));

        // A refresh that repeats offline_access is no attempt to widen the grant.
        var refreshed = await _http.PostAsync("/oauth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["client_id"] = clientId,
            ["refresh_token"] = tokens.GetProperty("refresh_token").GetString()!,
            ["scope"] = "mcp:tools offline_access",
        }));
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        Assert.Equal("mcp:tools", (await Http.ReadJsonAsync(refreshed)).GetProperty("scope").GetString());
    }

    [Fact]
    public async Task AskedAlone_AlsoGrantsTheDefaultScopes()
    {
        var (_, tokens, _) = await AuthorizeAsync("offline_access");

        Assert.Equal("mcp:tools", tokens.GetProperty("scope").GetString());
        Assert.True(tokens.TryGetProperty("refresh_token", out _));
    }

    [Fact]
    public async Task AskedByAClientNotRegisteredForRefresh_IsDroppedWithoutError()
    {
        var (_, tokens, browser) = await AuthorizeAsync("mcp:tools offline_access", refresh: false);

        Assert.DoesNotContain("Stay connected", browser.LastHtml, StringComparison.Ordinal);
        Assert.False(tokens.TryGetProperty("refresh_token", out _));
        Assert.Equal("mcp:tools", tokens.GetProperty("scope").GetString());
    }
}
