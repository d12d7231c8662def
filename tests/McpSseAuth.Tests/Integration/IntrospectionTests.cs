using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using McpSseAuth.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace McpSseAuth.Tests.Integration;

/// <summary>
/// Token introspection (RFC 7662): only configured confidential clients with AllowIntrospection may ask; a genuine, live
/// token is active with its claims; a revoked, expired, forged or unknown one is <c>{"active":false}</c> and nothing more.
/// </summary>
public sealed class IntrospectionTests : IAsyncLifetime
{
    private const string ResourceServerSecret = "resource-server-secret-0123456789abcdefgh";
    private const string MachineSecret = "machine-secret-0123456789abcdefghijklmnopq";

    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly ECDsaSecurityKey _rsKey = ClientKeys.NewEc("rs-ec");
    private readonly SampleApp _app;
    private readonly HttpClient _http;

    public IntrospectionTests()
    {
        var jwks = ClientKeys.Jwks(ClientKeys.Jwk(_rsKey));
        _app = new SampleApp(
            configure: o =>
            {
                o.Clients.Add(new McpOAuthClient { ClientId = "resource-server", ClientSecret = ResourceServerSecret, AllowIntrospection = true });
                o.Clients.Add(new McpOAuthClient { ClientId = "resource-server-jwt", JwksJson = jwks, AllowIntrospection = true });
                o.Clients.Add(new McpOAuthClient { ClientId = "machine", ClientSecret = MachineSecret });
                o.Clients.Add(new McpOAuthClient { ClientId = "web-public", RedirectUris = { OAuthFlow.RedirectUri } });
            },
            services: s => s.AddSingleton<TimeProvider>(_clock));
        _http = _app.CreateRawClient();
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _app.DisposeAsync();
    }

    private async Task<HttpResponseMessage> IntrospectAsync(string token, AuthenticationHeaderValue? authorization, string? hint = null, Dictionary<string, string>? form = null)
    {
        form ??= new Dictionary<string, string>(StringComparer.Ordinal);
        form["token"] = token;
        if (hint is not null)
        {
            form["token_type_hint"] = hint;
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth/introspect") { Content = new FormUrlEncodedContent(form) };
        request.Headers.Authorization = authorization;
        return await _http.SendAsync(request);
    }

    private static AuthenticationHeaderValue ResourceServer => ClientKeys.Basic("resource-server", ResourceServerSecret);

    /// <summary>Introspects as the allowed resource server and returns the answer, checking it is 200, JSON and not cached.</summary>
    private async Task<JsonElement> AnswerAsync(string token, string? hint = null)
    {
        using var response = await IntrospectAsync(token, ResourceServer, hint);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"Expected 200, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.CacheControl?.NoStore, "Introspection answers must not be cached (RFC 7662 §4).");
        return await Http.ReadJsonAsync(response);
    }

    /// <summary>RFC 7662 §2.2: an inactive token gets <c>{"active":false}</c> and no other member.</summary>
    private async Task AssertInactiveAsync(string token, string? hint = null)
    {
        var answer = await AnswerAsync(token, hint);
        Assert.False(answer.GetProperty("active").GetBoolean());
        Assert.Equal(["active"], answer.EnumerateObject().Select(p => p.Name));
    }

    private async Task<string> MachineTokenAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>(StringComparer.Ordinal) { ["grant_type"] = "client_credentials" }),
        };
        request.Headers.Authorization = ClientKeys.Basic("machine", MachineSecret);
        using var response = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await Http.ReadJsonAsync(response)).GetProperty("access_token").GetString()!;
    }

    [Fact]
    public async Task UsersAccessToken_IsActive_WithItsClaims()
    {
        var tokens = await new OAuthFlow(_http).GetTokensAsync(Http.McpResource);
        var jwt = new JsonWebTokenHandler().ReadJsonWebToken(tokens.AccessToken);

        var answer = await AnswerAsync(tokens.AccessToken);

        Assert.True(answer.GetProperty("active").GetBoolean());
        Assert.Equal("alice", answer.GetProperty("sub").GetString());
        Assert.Equal(tokens.ClientId, answer.GetProperty("client_id").GetString());
        Assert.Equal("mcp:tools", answer.GetProperty("scope").GetString());
        Assert.Equal(Http.McpResource, answer.GetProperty("aud").GetString());
        Assert.Equal("http://localhost", answer.GetProperty("iss").GetString());
        Assert.Equal("Bearer", answer.GetProperty("token_type").GetString());
        Assert.Equal(new DateTimeOffset(jwt.ValidTo).ToUnixTimeSeconds(), answer.GetProperty("exp").GetInt64());
        Assert.True(answer.GetProperty("exp").GetInt64() > _clock.GetUtcNow().ToUnixTimeSeconds());
    }

    [Fact]
    public async Task ADpopBoundAccessToken_IsReportedAsDPoP_WithItsKey()
    {
        // RFC 9449 §6.2: a resource server that introspects needs the key to check the proof against.
        using var key = DpopKey.Es256();
        var tokens = await new DpopClient(_http, key).GetTokensAsync();

        var answer = await AnswerAsync(tokens.AccessToken);

        Assert.True(answer.GetProperty("active").GetBoolean());
        Assert.Equal("DPoP", answer.GetProperty("token_type").GetString());
        Assert.Equal(key.Thumbprint(), answer.GetProperty("cnf").GetProperty("jkt").GetString());
    }

    [Fact]
    public async Task AccessTokenForEveryEndpoint_HasAnArrayAudience()
    {
        var flow = new OAuthFlow(_http);
        var clientId = await flow.RegisterAsync();
        var location = await new Browser(_http).AuthorizeAsync(
            flow.AuthorizeUrl(clientId, Http.McpResource, overrides: new Dictionary<string, string?> { ["resource"] = null }), "alice", "alice");
        using var redeemed = await flow.RedeemAsync(clientId, Http.Query(location)["code"]);
        var accessToken = (await Http.ReadJsonAsync(redeemed)).GetProperty("access_token").GetString()!;

        var answer = await AnswerAsync(accessToken);

        Assert.True(answer.GetProperty("active").GetBoolean());
        Assert.Equal([Http.McpResource, Http.SseResource], answer.GetProperty("aud").EnumerateArray().Select(a => a.GetString()).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("refresh_token")]
    [InlineData("unknown_hint")]
    public async Task AccessToken_IsActive_WhateverTheHint(string? hint)
    {
        var tokens = await new OAuthFlow(_http).GetTokensAsync(Http.McpResource);
        Assert.True((await AnswerAsync(tokens.AccessToken, hint)).GetProperty("active").GetBoolean());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("access_token")]
    public async Task RefreshToken_IsActive_WithSubjectAndClient(string? hint)
    {
        var tokens = await new OAuthFlow(_http).GetTokensAsync(Http.McpResource);

        var answer = await AnswerAsync(tokens.RefreshToken, hint);

        Assert.True(answer.GetProperty("active").GetBoolean());
        Assert.Equal("alice", answer.GetProperty("sub").GetString());
        Assert.Equal(tokens.ClientId, answer.GetProperty("client_id").GetString());
        Assert.Equal("mcp:tools", answer.GetProperty("scope").GetString());
    }

    [Fact]
    public async Task RotatedRefreshToken_IsInactive()
    {
        var tokens = await new OAuthFlow(_http).GetTokensAsync(Http.McpResource);
        using var refreshed = await new OAuthFlow(_http).RefreshAsync(tokens.ClientId, tokens.RefreshToken);
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        // Past the reuse window, if any: the old token is spent.
        _clock.Advance(TimeSpan.FromMinutes(6));

        await AssertInactiveAsync(tokens.RefreshToken);
    }

    [Fact]
    public async Task AfterTheGrantIsRevoked_BothTokensAreInactive()
    {
        var tokens = await new OAuthFlow(_http).GetTokensAsync(Http.McpResource);
        var other = await new OAuthFlow(_http).GetTokensAsync(Http.McpResource);
        Assert.True((await AnswerAsync(tokens.AccessToken)).GetProperty("active").GetBoolean());

        using var revoked = await _http.PostAsync("/oauth/revoke", new FormUrlEncodedContent(new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["client_id"] = tokens.ClientId,
            ["token"] = tokens.RefreshToken,
        }));
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);

        await AssertInactiveAsync(tokens.AccessToken);
        await AssertInactiveAsync(tokens.RefreshToken);
        Assert.True((await AnswerAsync(other.AccessToken)).GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task ExpiredAccessToken_IsInactive()
    {
        var tokens = await new OAuthFlow(_http).GetTokensAsync(Http.McpResource);
        _clock.Advance(TimeSpan.FromMinutes(30));
        Assert.True((await AnswerAsync(tokens.AccessToken)).GetProperty("active").GetBoolean());

        _clock.Advance(TimeSpan.FromMinutes(32));

        await AssertInactiveAsync(tokens.AccessToken);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("a.b.c")]
    [InlineData("eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.")]
    public async Task UnknownToken_IsInactive(string token)
        => await AssertInactiveAsync(token);

    [Fact]
    public async Task AccessTokenSignedByAnotherKey_IsInactive()
    {
        var genuine = new JsonWebTokenHandler().ReadJsonWebToken((await new OAuthFlow(_http).GetTokensAsync(Http.McpResource)).AccessToken);
        using var attacker = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var now = _clock.GetUtcNow().UtcDateTime;
        var forged = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            TokenType = genuine.Typ,
            Issuer = genuine.Issuer,
            Audience = Http.McpResource,
            IssuedAt = now,
            NotBefore = now,
            Expires = now.AddMinutes(30),
            Claims = new Dictionary<string, object>(StringComparer.Ordinal)
            {
                ["sub"] = "alice",
                ["client_id"] = genuine.GetClaim("client_id").Value,
                ["scope"] = "mcp:tools",
                ["jti"] = Guid.NewGuid().ToString("N"),
            },
            // Same kid as the server's key: only the signature tells them apart.
            SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(attacker) { KeyId = genuine.Kid }, SecurityAlgorithms.EcdsaSha256),
        });

        await AssertInactiveAsync(forged);
    }

    [Fact]
    public async Task ClientCredentialsToken_IsIntrospectable()
    {
        var token = await MachineTokenAsync();

        var answer = await AnswerAsync(token);

        Assert.True(answer.GetProperty("active").GetBoolean());
        Assert.Equal("client:machine", answer.GetProperty("sub").GetString());
        Assert.Equal("machine", answer.GetProperty("client_id").GetString());
        Assert.Equal("mcp:tools", answer.GetProperty("scope").GetString());
    }

    [Fact]
    public async Task RevokedClientCredentialsToken_IsInactive()
    {
        var token = await MachineTokenAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth/revoke")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>(StringComparer.Ordinal) { ["token"] = token }),
        };
        request.Headers.Authorization = ClientKeys.Basic("machine", MachineSecret);
        using var revoked = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);

        await AssertInactiveAsync(token);
    }

    [Fact]
    public async Task ClientSecretPost_IsAccepted()
    {
        var tokens = await new OAuthFlow(_http).GetTokensAsync(Http.McpResource);

        using var response = await IntrospectAsync(tokens.AccessToken, null, form: new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["client_id"] = "resource-server",
            ["client_secret"] = ResourceServerSecret,
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True((await Http.ReadJsonAsync(response)).GetProperty("active").GetBoolean());
    }

    [Theory]
    [InlineData("http://localhost")]
    [InlineData("http://localhost/oauth/introspect")]
    [InlineData("http://localhost/oauth/token")]
    public async Task PrivateKeyJwt_ForTheIssuerOrTheIntrospectionOrTokenEndpoint_IsAccepted(string audience)
    {
        var tokens = await new OAuthFlow(_http).GetTokensAsync(Http.McpResource);
        var form = ClientKeys.AssertionForm(ClientKeys.Assertion(_rsKey, "resource-server-jwt", audience, now: _clock.GetUtcNow()));
        form.Remove("grant_type");

        using var response = await IntrospectAsync(tokens.AccessToken, null, form: form);

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        Assert.True((await Http.ReadJsonAsync(response)).GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task PrivateKeyJwt_AssertionUsedHere_IsRefusedAtTheTokenEndpoint()
    {
        var tokens = await new OAuthFlow(_http).GetTokensAsync(Http.McpResource);
        var assertion = ClientKeys.Assertion(_rsKey, "resource-server-jwt", "http://localhost", now: _clock.GetUtcNow());
        var form = ClientKeys.AssertionForm(assertion);
        form.Remove("grant_type");
        using var introspected = await IntrospectAsync(tokens.AccessToken, null, form: form);
        Assert.Equal(HttpStatusCode.OK, introspected.StatusCode);

        // The same jti again, at another endpoint: single use holds across endpoints (RFC 7523 §3 item 7).
        using var replayed = await _http.PostAsync("/oauth/token", new FormUrlEncodedContent(ClientKeys.AssertionForm(assertion)));

        await Http.AssertOAuthErrorAsync(replayed, HttpStatusCode.Unauthorized, "invalid_client");
    }

    [Fact]
    public async Task PrivateKeyJwt_ForTheRevocationEndpoint_IsRefusedHere()
    {
        var tokens = await new OAuthFlow(_http).GetTokensAsync(Http.McpResource);
        var form = ClientKeys.AssertionForm(ClientKeys.Assertion(_rsKey, "resource-server-jwt", "http://localhost/oauth/revoke", now: _clock.GetUtcNow()));
        form.Remove("grant_type");

        using var response = await IntrospectAsync(tokens.AccessToken, null, form: form);

        await Http.AssertOAuthErrorAsync(response, HttpStatusCode.Unauthorized, "invalid_client");
    }

    [Fact]
    public async Task ConfidentialClientWithoutAllowIntrospection_Is403UnauthorizedClient()
    {
        var token = await MachineTokenAsync();

        using var response = await IntrospectAsync(token, ClientKeys.Basic("machine", MachineSecret));

        await Http.AssertOAuthErrorAsync(response, HttpStatusCode.Forbidden, "unauthorized_client");
        Assert.DoesNotContain("client:machine", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RegisteredPublicClient_Is401InvalidClient()
    {
        var tokens = await new OAuthFlow(_http).GetTokensAsync(Http.McpResource);

        using var response = await IntrospectAsync(tokens.AccessToken, null, form: new Dictionary<string, string>(StringComparer.Ordinal) { ["client_id"] = tokens.ClientId });

        await Http.AssertOAuthErrorAsync(response, HttpStatusCode.Unauthorized, "invalid_client");
        Assert.DoesNotContain("alice", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfiguredPublicClient_Is401InvalidClient()
    {
        var tokens = await new OAuthFlow(_http).GetTokensAsync(Http.McpResource);

        using var response = await IntrospectAsync(tokens.AccessToken, null, form: new Dictionary<string, string>(StringComparer.Ordinal) { ["client_id"] = "web-public" });

        await Http.AssertOAuthErrorAsync(response, HttpStatusCode.Unauthorized, "invalid_client");
    }

    [Fact]
    public async Task Unauthenticated_Is401InvalidClient()
    {
        var tokens = await new OAuthFlow(_http).GetTokensAsync(Http.McpResource);

        using var response = await IntrospectAsync(tokens.AccessToken, null);

        await Http.AssertOAuthErrorAsync(response, HttpStatusCode.Unauthorized, "invalid_client");
        Assert.DoesNotContain("active", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("resource-server", "wrong-secret-0123456789abcdefghijklmnopq")]
    [InlineData("resource-server", MachineSecret)]
    [InlineData("resource-server-jwt", ResourceServerSecret)]
    public async Task WrongSecret_Is401InvalidClient(string clientId, string secret)
    {
        var tokens = await new OAuthFlow(_http).GetTokensAsync(Http.McpResource);

        using var response = await IntrospectAsync(tokens.AccessToken, ClientKeys.Basic(clientId, secret));

        await Http.AssertOAuthErrorAsync(response, HttpStatusCode.Unauthorized, "invalid_client");
        Assert.Contains("Basic", Http.WwwAuthenticate(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingToken_IsInvalidRequest()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth/introspect") { Content = new FormUrlEncodedContent(new Dictionary<string, string>()) };
        request.Headers.Authorization = ResourceServer;

        using var response = await _http.SendAsync(request);

        await Http.AssertOAuthErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task Get_Is405()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/oauth/introspect?token=x");
        request.Headers.Authorization = ResourceServer;

        using var response = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }
}
