using System.Net;
using System.Net.Http.Headers;
using McpSseAuth.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;

namespace McpSseAuth.Tests.Integration;

/// <summary>The token endpoint: PKCE-bound single-use codes, rotating refresh tokens with family revocation, RFC 9068 access tokens.</summary>
public sealed class TokenTests(SampleAppFixture fixture) : IClassFixture<SampleAppFixture>
{
    private readonly HttpClient _http = fixture.CreateClient();

    [Fact]
    public async Task Token_AuthorizationCode_ReturnsBearerTokenAndRefreshToken_NotCached()
    {
        var flow = new OAuthFlow(_http);
        var clientId = await flow.RegisterAsync();
        var code = (await flow.AuthorizeAsync(clientId, Http.McpResource))["code"];

        var response = await flow.RedeemAsync(clientId, code);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.CacheControl?.NoStore, "Cache-Control must be no-store (RFC 6749 §5.1).");
        var json = await Http.ReadJsonAsync(response);
        Assert.Equal("Bearer", json.GetProperty("token_type").GetString());
        Assert.Equal(3600, json.GetProperty("expires_in").GetInt32());
        Assert.Equal("mcp:tools", json.GetProperty("scope").GetString());
        Assert.False(string.IsNullOrEmpty(json.GetProperty("access_token").GetString()));
        Assert.False(string.IsNullOrEmpty(json.GetProperty("refresh_token").GetString()));
    }

    [Fact]
    public async Task Token_AccessToken_IsAnRfc9068JwtBoundToTheResource()
    {
        var tokens = await new OAuthFlow(_http).GetTokensAsync(Http.SseResource, user: "bob");

        var jwt = new JsonWebTokenHandler().ReadJsonWebToken(tokens.AccessToken);

        Assert.Equal("at+jwt", jwt.Typ);
        Assert.False(string.IsNullOrEmpty(jwt.Kid));
        Assert.Equal("ES256", jwt.Alg);
        Assert.Equal("http://localhost", jwt.Issuer);
        Assert.Equal([Http.SseResource], jwt.Audiences);
        Assert.Equal("bob", jwt.Subject);
        Assert.Equal(tokens.ClientId, jwt.GetClaim("client_id").Value);
        Assert.Equal("mcp:tools", jwt.GetClaim("scope").Value);
        Assert.False(string.IsNullOrEmpty(jwt.Id));
        Assert.InRange(jwt.ValidTo, DateTime.UtcNow.AddMinutes(55), DateTime.UtcNow.AddMinutes(65));
    }

    [Fact]
    public async Task Token_WithoutResource_IsBoundToEveryMcpEndpointOfTheServer()
    {
        var flow = new OAuthFlow(_http);
        var clientId = await flow.RegisterAsync();
        var location = await new Browser(_http).AuthorizeAsync(
            flow.AuthorizeUrl(clientId, Http.McpResource, overrides: new Dictionary<string, string?> { ["resource"] = null }), "alice", "alice");

        var response = await flow.RedeemAsync(clientId, Http.Query(location)["code"]);

        var jwt = new JsonWebTokenHandler().ReadJsonWebToken((await Http.ReadJsonAsync(response)).GetProperty("access_token").GetString());
        Assert.Equal([Http.McpResource, Http.SseResource], jwt.Audiences.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Token_GrantWithoutResource_CanBeNarrowedToOneEndpointAtTheTokenEndpoint()
    {
        var flow = new OAuthFlow(_http);
        var clientId = await flow.RegisterAsync();
        var location = await new Browser(_http).AuthorizeAsync(
            flow.AuthorizeUrl(clientId, Http.McpResource, overrides: new Dictionary<string, string?> { ["resource"] = null }), "alice", "alice");

        var response = await flow.RedeemAsync(clientId, Http.Query(location)["code"], resource: Http.SseResource);

        var jwt = new JsonWebTokenHandler().ReadJsonWebToken((await Http.ReadJsonAsync(response)).GetProperty("access_token").GetString());
        Assert.Equal([Http.SseResource], jwt.Audiences);
    }

    [Fact]
    public async Task Token_ReplayedCode_IsRejectedAndRevokesTokens()
    {
        var flow = new OAuthFlow(_http);
        var clientId = await flow.RegisterAsync();
        var code = (await flow.AuthorizeAsync(clientId, Http.McpResource))["code"];
        var first = await Http.ReadJsonAsync(await flow.RedeemAsync(clientId, code));

        var second = await flow.RedeemAsync(clientId, code);

        await Http.AssertOAuthErrorAsync(second, HttpStatusCode.BadRequest, "invalid_grant");
        var refresh = await flow.RefreshAsync(clientId, first.GetProperty("refresh_token").GetString()!);
        await Http.AssertOAuthErrorAsync(refresh, HttpStatusCode.BadRequest, "invalid_grant");
    }

    [Fact]
    public async Task Token_WrongCodeVerifier_IsInvalidGrant_AndSpendsTheCode()
    {
        var flow = new OAuthFlow(_http);
        var clientId = await flow.RegisterAsync();
        var code = (await flow.AuthorizeAsync(clientId, Http.McpResource))["code"];

        var wrong = await flow.RedeemAsync(clientId, code, verifier: new OAuthFlow(_http).Verifier);

        await Http.AssertOAuthErrorAsync(wrong, HttpStatusCode.BadRequest, "invalid_grant");
        // RFC 9700 §4.5: a stolen code cannot be retried with other verifiers.
        await Http.AssertOAuthErrorAsync(await flow.RedeemAsync(clientId, code), HttpStatusCode.BadRequest, "invalid_grant");
    }

    [Theory]
    [InlineData("short")]
    [InlineData("this-verifier-has-an-invalid-character-in-it-!!!!!!!!!!!!!")]
    public async Task Token_MalformedCodeVerifier_IsInvalidGrant(string verifier)
    {
        var flow = new OAuthFlow(_http);
        var clientId = await flow.RegisterAsync();
        var code = (await flow.AuthorizeAsync(clientId, Http.McpResource))["code"];

        await Http.AssertOAuthErrorAsync(await flow.RedeemAsync(clientId, code, verifier: verifier), HttpStatusCode.BadRequest, "invalid_grant");
    }

    [Fact]
    public async Task Token_RedirectUriMismatch_IsInvalidGrant()
    {
        var flow = new OAuthFlow(_http);
        var clientId = await flow.RegisterAsync();
        var code = (await flow.AuthorizeAsync(clientId, Http.McpResource))["code"];

        var response = await flow.RedeemAsync(clientId, code, redirectUri: "http://127.0.0.1:7777/other");

        await Http.AssertOAuthErrorAsync(response, HttpStatusCode.BadRequest, "invalid_grant");
    }

    [Fact]
    public async Task Token_RedirectUriOmittedAfterAuthorizationRequestNamedIt_IsInvalidGrant()
    {
        // RFC 6749 §4.1.3: redirect_uri is required at the token endpoint when the authorization request had it.
        var flow = new OAuthFlow(_http);
        var clientId = await flow.RegisterAsync();
        var code = (await flow.AuthorizeAsync(clientId, Http.McpResource))["code"];

        var response = await _http.PostAsync("/oauth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["client_id"] = clientId,
            ["code"] = code,
            ["code_verifier"] = flow.Verifier,
        }));

        await Http.AssertOAuthErrorAsync(response, HttpStatusCode.BadRequest, "invalid_grant");
    }

    [Fact]
    public async Task Token_CodeOfAnotherClient_IsInvalidGrant()
    {
        var flow = new OAuthFlow(_http);
        var clientA = await flow.RegisterAsync("Client A");
        var clientB = await flow.RegisterAsync("Client B");
        var code = (await flow.AuthorizeAsync(clientA, Http.McpResource))["code"];

        var response = await flow.RedeemAsync(clientB, code);

        await Http.AssertOAuthErrorAsync(response, HttpStatusCode.BadRequest, "invalid_grant");
    }

    [Fact]
    public async Task Token_UnknownCode_IsInvalidGrant()
    {
        var flow = new OAuthFlow(_http);
        var clientId = await flow.RegisterAsync();

        await Http.AssertOAuthErrorAsync(await flow.RedeemAsync(clientId, "no-such-code"), HttpStatusCode.BadRequest, "invalid_grant");
    }

    [Fact]
    public async Task Token_UnknownClient_Is401InvalidClient()
    {
        var flow = new OAuthFlow(_http);

        var response = await flow.RedeemAsync("no-such-client", "some-code");

        await Http.AssertOAuthErrorAsync(response, HttpStatusCode.Unauthorized, "invalid_client");
        Assert.NotEmpty(response.Headers.WwwAuthenticate);
    }

    [Fact]
    public async Task Token_ClientSecretInBody_IsInvalidClient()
    {
        var clientId = await new OAuthFlow(_http).RegisterAsync();

        var response = await _http.PostAsync("/oauth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["client_id"] = clientId,
            ["client_secret"] = "guess",
            ["refresh_token"] = "x",
        }));

        await Http.AssertOAuthErrorAsync(response, HttpStatusCode.Unauthorized, "invalid_client");
    }

    [Fact]
    public async Task Token_BasicAuthorizationHeader_Is401InvalidClient()
    {
        var flow = new OAuthFlow(_http);
        var clientId = await flow.RegisterAsync();
        var code = (await flow.AuthorizeAsync(clientId, Http.McpResource))["code"];
        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "authorization_code",
                ["code"] = code,
                ["code_verifier"] = flow.Verifier,
                ["redirect_uri"] = OAuthFlow.RedirectUri,
            }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(clientId + ":secret")));

        var response = await _http.SendAsync(request);

        await Http.AssertOAuthErrorAsync(response, HttpStatusCode.Unauthorized, "invalid_client");
        Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "Basic");
    }

    [Fact]
    public async Task Token_RefreshRotation_NewTokenWorks_TheOldOneRetriedAtOnceGetsTheSameAnswer()
    {
        var flow = new OAuthFlow(_http);
        var tokens = await flow.GetTokensAsync(Http.McpResource);

        var second = await flow.RefreshAsync(tokens.ClientId, tokens.RefreshToken);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.True(second.Headers.CacheControl?.NoStore);
        var secondJson = await Http.ReadJsonAsync(second);
        var secondRefresh = secondJson.GetProperty("refresh_token").GetString()!;
        Assert.NotEqual(tokens.RefreshToken, secondRefresh);

        // A retry (a lost response, a concurrent refresh) inside the reuse window: the same new pair, nothing revoked.
        var retried = await flow.RefreshAsync(tokens.ClientId, tokens.RefreshToken);
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        Assert.True(retried.Headers.CacheControl?.NoStore);
        var retriedJson = await Http.ReadJsonAsync(retried);
        Assert.Equal(secondRefresh, retriedJson.GetProperty("refresh_token").GetString());
        Assert.Equal(secondJson.GetProperty("access_token").GetString(), retriedJson.GetProperty("access_token").GetString());

        var third = await flow.RefreshAsync(tokens.ClientId, secondRefresh);
        Assert.Equal(HttpStatusCode.OK, third.StatusCode);
    }

    [Fact]
    public async Task Token_RefreshedAccessToken_KeepsSubjectAudienceAndScope()
    {
        var flow = new OAuthFlow(_http);
        var tokens = await flow.GetTokensAsync(Http.SseResource, user: "bob");

        var refreshed = await Http.ReadJsonAsync(await flow.RefreshAsync(tokens.ClientId, tokens.RefreshToken));

        var jwt = new JsonWebTokenHandler().ReadJsonWebToken(refreshed.GetProperty("access_token").GetString());
        Assert.Equal("bob", jwt.Subject);
        Assert.Equal([Http.SseResource], jwt.Audiences);
        Assert.Equal("mcp:tools", refreshed.GetProperty("scope").GetString());
    }

    [Fact]
    public async Task Token_RefreshTokenOfAnotherClient_IsInvalidGrant()
    {
        var flow = new OAuthFlow(_http);
        var tokens = await flow.GetTokensAsync(Http.McpResource);
        var otherClient = await flow.RegisterAsync("Other client");

        await Http.AssertOAuthErrorAsync(await flow.RefreshAsync(otherClient, tokens.RefreshToken), HttpStatusCode.BadRequest, "invalid_grant");
        // A refresh token used by another client is treated as stolen: its own client cannot use it either.
        await Http.AssertOAuthErrorAsync(await flow.RefreshAsync(tokens.ClientId, tokens.RefreshToken), HttpStatusCode.BadRequest, "invalid_grant");
    }

    [Fact]
    public async Task Token_ClientWithoutRefreshGrant_GetsNoRefreshToken()
    {
        var flow = new OAuthFlow(_http);
        var clientId = await flow.RegisterAsync(refresh: false);
        var code = (await flow.AuthorizeAsync(clientId, Http.McpResource))["code"];

        var json = await Http.ReadJsonAsync(await flow.RedeemAsync(clientId, code));

        Assert.True(json.TryGetProperty("access_token", out _));
        Assert.False(json.TryGetProperty("refresh_token", out _));
    }

    [Fact]
    public async Task Token_ResourceDifferentFromTheGrant_IsInvalidTarget()
    {
        var flow = new OAuthFlow(_http);
        var clientId = await flow.RegisterAsync();
        var code = (await flow.AuthorizeAsync(clientId, Http.McpResource))["code"];

        var response = await flow.RedeemAsync(clientId, code, resource: Http.SseResource);

        await Http.AssertOAuthErrorAsync(response, HttpStatusCode.BadRequest, "invalid_target");
    }

    [Fact]
    public async Task Token_SameResourceInDifferentCase_IsAccepted()
    {
        // RFC 8707 §2 / RFC 3986 §6.2.2.1: scheme and host compare case-insensitively.
        var flow = new OAuthFlow(_http);
        var clientId = await flow.RegisterAsync();
        var code = (await flow.AuthorizeAsync(clientId, Http.McpResource))["code"];

        var response = await flow.RedeemAsync(clientId, code, resource: "HTTP://LOCALHOST/mcp/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("https://evil.example/mcp")]
    [InlineData("http://localhost/sse")]
    public async Task Token_RefreshForAnotherResource_IsInvalidTarget_AndLeavesTheRefreshTokenUsable(string resource)
    {
        var flow = new OAuthFlow(_http);
        var tokens = await flow.GetTokensAsync(Http.McpResource);

        var response = await _http.PostAsync("/oauth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["client_id"] = tokens.ClientId,
            ["refresh_token"] = tokens.RefreshToken,
            ["resource"] = resource,
        }));

        await Http.AssertOAuthErrorAsync(response, HttpStatusCode.BadRequest, "invalid_target");
        Assert.Equal(HttpStatusCode.OK, (await flow.RefreshAsync(tokens.ClientId, tokens.RefreshToken)).StatusCode);
    }

    [Theory]
    [InlineData("password")]
    [InlineData("implicit")]
    [InlineData("urn:ietf:params:oauth:grant-type:device_code")]
    public async Task Token_UnsupportedGrantType_IsUnsupportedGrantType(string grantType)
    {
        var clientId = await new OAuthFlow(_http).RegisterAsync();

        var response = await _http.PostAsync("/oauth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = grantType,
            ["client_id"] = clientId,
            ["username"] = "alice",
            ["password"] = "alice",
        }));

        await Http.AssertOAuthErrorAsync(response, HttpStatusCode.BadRequest, "unsupported_grant_type");
    }

    [Fact]
    public async Task Token_MissingGrantType_IsInvalidRequest()
    {
        var clientId = await new OAuthFlow(_http).RegisterAsync();

        var response = await _http.PostAsync("/oauth/token", new FormUrlEncodedContent(new Dictionary<string, string> { ["client_id"] = clientId }));

        await Http.AssertOAuthErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task Token_RefreshNarrowingScope_IsAllowed_AndTheGrantKeepsItsScopes()
    {
        await using var app = TwoScopeApp();
        var http = app.CreateRawClient();
        var tokens = await GetTokensWithScopeAsync(http, "mcp:tools mcp:read");

        var narrowed = await RefreshWithScopeAsync(http, tokens.ClientId, tokens.RefreshToken, "mcp:read");

        Assert.Equal(HttpStatusCode.OK, narrowed.StatusCode);
        var json = await Http.ReadJsonAsync(narrowed);
        Assert.Equal("mcp:read", json.GetProperty("scope").GetString());
        Assert.Equal("mcp:read", new JsonWebTokenHandler().ReadJsonWebToken(json.GetProperty("access_token").GetString()).GetClaim("scope").Value);

        // RFC 6749 §6: the narrowed request does not shrink the grant itself.
        var full = await RefreshWithScopeAsync(http, tokens.ClientId, json.GetProperty("refresh_token").GetString()!, "mcp:tools mcp:read");
        Assert.Equal(HttpStatusCode.OK, full.StatusCode);
        Assert.Equal("mcp:tools mcp:read", (await Http.ReadJsonAsync(full)).GetProperty("scope").GetString());
    }

    [Fact]
    public async Task Token_RefreshWideningScope_IsInvalidScope()
    {
        await using var app = TwoScopeApp();
        var http = app.CreateRawClient();
        var tokens = await GetTokensWithScopeAsync(http, "mcp:read");

        var widened = await RefreshWithScopeAsync(http, tokens.ClientId, tokens.RefreshToken, "mcp:read mcp:tools");

        await Http.AssertOAuthErrorAsync(widened, HttpStatusCode.BadRequest, "invalid_scope");
    }

    [Fact]
    public async Task Token_RefreshRefusedForItsScope_LeavesTheRefreshTokenUsable()
    {
        await using var app = TwoScopeApp();
        var http = app.CreateRawClient();
        var tokens = await GetTokensWithScopeAsync(http, "mcp:read");
        await Http.AssertOAuthErrorAsync(await RefreshWithScopeAsync(http, tokens.ClientId, tokens.RefreshToken, "mcp:read mcp:tools"), HttpStatusCode.BadRequest, "invalid_scope");

        var retry = await new OAuthFlow(http).RefreshAsync(tokens.ClientId, tokens.RefreshToken);

        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
    }

    [Fact]
    public async Task Token_ReplayedCode_EndsTheAccessTokenAlreadyIssuedFromIt()
    {
        var flow = new OAuthFlow(_http);
        var clientId = await flow.RegisterAsync();
        var code = (await flow.AuthorizeAsync(clientId, Http.McpResource))["code"];
        var accessToken = (await Http.ReadJsonAsync(await flow.RedeemAsync(clientId, code))).GetProperty("access_token").GetString();
        using (var before = await Http.SendHeadersAsync(_http, Http.McpInitialize("/mcp", accessToken)))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        await flow.RedeemAsync(clientId, code);   // the replay: RFC 6749 §4.1.2 says revoke what the code issued

        using var after = await Http.SendHeadersAsync(_http, Http.McpInitialize("/mcp", accessToken));
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.Contains("error=\"invalid_token\"", after.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Contains("revoked", after.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(50, true)]
    [InlineData(120, false)]
    public async Task Token_Code_IsRedeemableWithinItsOneMinuteLifetimeOnly(int secondsLater, bool redeemable)
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = new SampleApp(services: s => s.AddSingleton<TimeProvider>(clock));
        var http = app.CreateRawClient();
        var flow = new OAuthFlow(http);
        var clientId = await flow.RegisterAsync();
        var code = (await flow.AuthorizeAsync(clientId, Http.McpResource))["code"];

        clock.Advance(TimeSpan.FromSeconds(secondsLater));
        var response = await flow.RedeemAsync(clientId, code);

        if (redeemable)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        else
        {
            await Http.AssertOAuthErrorAsync(response, HttpStatusCode.BadRequest, "invalid_grant");
        }
    }

    [Fact]
    public async Task Token_ExpiredRefreshToken_IsInvalidGrant()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = new SampleApp(services: s => s.AddSingleton<TimeProvider>(clock));
        var http = app.CreateRawClient();
        var flow = new OAuthFlow(http);
        var tokens = await flow.GetTokensAsync(Http.McpResource);

        clock.Advance(TimeSpan.FromDays(31));
        var response = await flow.RefreshAsync(tokens.ClientId, tokens.RefreshToken);

        await Http.AssertOAuthErrorAsync(response, HttpStatusCode.BadRequest, "invalid_grant");
    }

    private static SampleApp TwoScopeApp() => new(configure: o => o.Scopes.Add("mcp:read", "Read the resources of this MCP server"));

    private static async Task<TokenSet> GetTokensWithScopeAsync(HttpClient http, string scope)
    {
        var flow = new OAuthFlow(http);
        var clientId = await flow.RegisterAsync();
        var location = await new Browser(http).AuthorizeAsync(flow.AuthorizeUrl(clientId, Http.McpResource, scope: scope), "alice", "alice");
        var response = await flow.RedeemAsync(clientId, Http.Query(location)["code"]);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await Http.ReadJsonAsync(response);
        Assert.Equal(scope, json.GetProperty("scope").GetString());
        return new TokenSet(clientId, json.GetProperty("access_token").GetString()!, json.GetProperty("refresh_token").GetString()!);
    }

    private static Task<HttpResponseMessage> RefreshWithScopeAsync(HttpClient http, string clientId, string refreshToken, string scope)
        => http.PostAsync("/oauth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["client_id"] = clientId,
            ["refresh_token"] = refreshToken,
            ["scope"] = scope,
        }));
}
