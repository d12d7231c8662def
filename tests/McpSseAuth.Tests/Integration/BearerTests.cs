using System.Net;
using System.Security.Cryptography;
using McpSseAuth.Keys;
using McpSseAuth.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace McpSseAuth.Tests.Integration;

/// <summary>
/// Bearer protection of the MCP endpoints: RFC 6750 §3 challenges with RFC 9728 <c>resource_metadata</c>, tokens only
/// from the header, audience bound to the endpoint (RFC 8707), signature, type and lifetime checked.
/// </summary>
public sealed class BearerTests(SampleAppFixture fixture) : IClassFixture<SampleAppFixture>
{
    private readonly HttpClient _http = fixture.CreateClient();

    [Fact]
    public async Task Mcp_WithoutToken_Is401WithResourceMetadataAndScope_AndNoError()
    {
        using var response = await Http.SendHeadersAsync(_http, Http.McpInitialize("/mcp", null));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var challenge = Http.WwwAuthenticate(response);
        Assert.StartsWith("Bearer ", challenge, StringComparison.Ordinal);
        Assert.Contains("resource_metadata=\"http://localhost/.well-known/oauth-protected-resource/mcp\"", challenge, StringComparison.Ordinal);
        Assert.Contains("scope=\"mcp:tools\"", challenge, StringComparison.Ordinal);
        Assert.DoesNotContain("error=", challenge, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.")]
    [InlineData("a.b.c")]
    public async Task Mcp_GarbageToken_Is401InvalidToken(string token)
    {
        using var response = await Http.SendHeadersAsync(_http, Http.McpInitialize("/mcp", token));

        AssertInvalidToken(response, "/mcp");
    }

    [Fact]
    public async Task Mcp_TokenIssuedForSse_Is401InvalidToken()
    {
        var tokens = await new OAuthFlow(_http).GetTokensAsync(Http.SseResource);

        using var response = await Http.SendHeadersAsync(_http, Http.McpInitialize("/mcp", tokens.AccessToken));

        AssertInvalidToken(response, "/mcp");
    }

    [Fact]
    public async Task Mcp_TokenIssuedForMcp_IsAccepted()
    {
        var tokens = await new OAuthFlow(_http).GetTokensAsync(Http.McpResource);

        using var response = await Http.SendHeadersAsync(_http, Http.McpInitialize("/mcp", tokens.AccessToken));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task TokenGrantedWithoutResource_IsAcceptedOnMcpAndOnSse()
    {
        // Clients that predate RFC 8707 (often the legacy SSE ones) name no resource: the grant covers every MCP endpoint.
        var flow = new OAuthFlow(_http);
        var clientId = await flow.RegisterAsync();
        var location = await new Browser(_http).AuthorizeAsync(
            flow.AuthorizeUrl(clientId, Http.McpResource, overrides: new Dictionary<string, string?> { ["resource"] = null }), "alice", "alice");
        var token = (await Http.ReadJsonAsync(await flow.RedeemAsync(clientId, Http.Query(location)["code"]))).GetProperty("access_token").GetString()!;

        using var mcp = await Http.SendHeadersAsync(_http, Http.McpInitialize("/mcp", token));
        using var sseRequest = new HttpRequestMessage(HttpMethod.Get, "/sse");
        sseRequest.Headers.Authorization = new("Bearer", token);
        sseRequest.Headers.Accept.ParseAdd("text/event-stream");
        using var sse = await Http.SendHeadersAsync(_http, sseRequest);

        Assert.Equal(HttpStatusCode.OK, mcp.StatusCode);
        Assert.Equal(HttpStatusCode.OK, sse.StatusCode);
    }

    [Fact]
    public async Task Sse_TokenIssuedForMcp_Is401InvalidToken()
    {
        var tokens = await new OAuthFlow(_http).GetTokensAsync(Http.McpResource);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/sse");
        request.Headers.Authorization = new("Bearer", tokens.AccessToken);
        request.Headers.Accept.ParseAdd("text/event-stream");

        using var response = await Http.SendHeadersAsync(_http, request);

        AssertInvalidToken(response, "/sse");
    }

    [Fact]
    public async Task Mcp_TokenInQueryString_IsIgnored()
    {
        // OAuth 2.1 §5.2 / RFC 6750 §2.3: no access tokens in URIs.
        var tokens = await new OAuthFlow(_http).GetTokensAsync(Http.McpResource);

        using var response = await Http.SendHeadersAsync(_http, Http.McpInitialize("/mcp?access_token=" + Uri.EscapeDataString(tokens.AccessToken), null));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.DoesNotContain("error=", Http.WwwAuthenticate(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mcp_TokenInFormBody_IsNotAccepted()
    {
        var tokens = await new OAuthFlow(_http).GetTokensAsync(Http.McpResource);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/mcp")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["access_token"] = tokens.AccessToken }),
        };

        using var response = await Http.SendHeadersAsync(_http, request);

        // Refused before authentication (415, the endpoint takes JSON only) or by it (401 without error=): never served.
        Assert.Contains(response.StatusCode, new[] { HttpStatusCode.Unauthorized, HttpStatusCode.UnsupportedMediaType });
        Assert.DoesNotContain("error=", Http.WwwAuthenticate(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mcp_TokenSignedByAnotherKey_Is401InvalidToken()
    {
        var tokens = await new OAuthFlow(_http).GetTokensAsync(Http.McpResource);
        var genuine = new JsonWebTokenHandler().ReadJsonWebToken(tokens.AccessToken);
        using var attackerKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        // Same header kid and claims as a genuine token; only the key differs.
        var forged = Forge(genuine, new ECDsaSecurityKey(attackerKey) { KeyId = genuine.Kid }, SecurityAlgorithms.EcdsaSha256, "at+jwt");
        using var response = await Http.SendHeadersAsync(_http, Http.McpInitialize("/mcp", forged));

        AssertInvalidToken(response, "/mcp");
    }

    [Fact]
    public async Task Mcp_UnsignedToken_Is401InvalidToken()
    {
        var tokens = await new OAuthFlow(_http).GetTokensAsync(Http.McpResource);
        var genuine = new JsonWebTokenHandler().ReadJsonWebToken(tokens.AccessToken);
        var parts = tokens.AccessToken.Split('.');
        var header = Base64UrlEncoder.Encode($$"""{"alg":"none","typ":"at+jwt","kid":"{{genuine.Kid}}"}""");

        using var response = await Http.SendHeadersAsync(_http, Http.McpInitialize("/mcp", $"{header}.{parts[1]}."));

        AssertInvalidToken(response, "/mcp");
    }

    [Theory]
    [InlineData("JWT", "http://localhost", true)]
    [InlineData("at+jwt", "http://other.example", true)]
    [InlineData("at+jwt", "http://localhost", false)]
    public async Task Mcp_TokenSignedWithTheServerKey_ButNotAnAccessTokenOfThisServer_Is401InvalidToken(string type, string issuer, bool withClientId)
    {
        // RFC 9068 §4: the signature alone is not enough; typ, iss and the client_id claim are checked too.
        var tokens = await new OAuthFlow(_http).GetTokensAsync(Http.McpResource);
        var genuine = new JsonWebTokenHandler().ReadJsonWebToken(tokens.AccessToken);
        var serverKey = fixture.App.Services.GetRequiredService<SigningKeys>().Current;

        var forged = Forge(genuine, serverKey.Key, serverKey.Algorithm, type, issuer, withClientId);
        using var response = await Http.SendHeadersAsync(_http, Http.McpInitialize("/mcp", forged));

        AssertInvalidToken(response, "/mcp");
    }

    [Fact]
    public async Task Mcp_TokenSignedWithTheServerKey_AndTheSameClaims_IsAccepted()
    {
        // The control for the test above: Forge makes tokens the server accepts when nothing is wrong with them.
        var tokens = await new OAuthFlow(_http).GetTokensAsync(Http.McpResource);
        var genuine = new JsonWebTokenHandler().ReadJsonWebToken(tokens.AccessToken);
        var serverKey = fixture.App.Services.GetRequiredService<SigningKeys>().Current;

        var copy = Forge(genuine, serverKey.Key, serverKey.Algorithm, "at+jwt");
        using var response = await Http.SendHeadersAsync(_http, Http.McpInitialize("/mcp", copy));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Mcp_ExpiredToken_Is401InvalidToken()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = new SampleApp(services: s => s.AddSingleton<TimeProvider>(clock));
        var http = app.CreateRawClient();
        var tokens = await new OAuthFlow(http).GetTokensAsync(Http.McpResource);
        using (var fresh = await Http.SendHeadersAsync(http, Http.McpInitialize("/mcp", tokens.AccessToken)))
        {
            Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        }

        clock.Advance(TimeSpan.FromHours(2));
        using var response = await Http.SendHeadersAsync(http, Http.McpInitialize("/mcp", tokens.AccessToken));

        AssertInvalidToken(response, "/mcp");
        Assert.Contains("error_description=\"The access token expired\"", Http.WwwAuthenticate(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sse_WithoutToken_Is401WithSseResourceMetadata()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/sse");
        request.Headers.Accept.ParseAdd("text/event-stream");

        using var response = await Http.SendHeadersAsync(_http, request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var challenge = Http.WwwAuthenticate(response);
        Assert.Contains("resource_metadata=\"http://localhost/.well-known/oauth-protected-resource/sse\"", challenge, StringComparison.Ordinal);
        Assert.DoesNotContain("error=", challenge, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Message_WithoutToken_Is401WithSseResourceMetadata()
    {
        using var response = await Http.SendHeadersAsync(_http, Http.McpInitialize("/message?sessionId=abc", null));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("resource_metadata=\"http://localhost/.well-known/oauth-protected-resource/sse\"", Http.WwwAuthenticate(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Message_TokenIssuedForMcp_Is401InvalidToken()
    {
        var tokens = await new OAuthFlow(_http).GetTokensAsync(Http.McpResource);

        using var response = await Http.SendHeadersAsync(_http, Http.McpInitialize("/message?sessionId=abc", tokens.AccessToken));

        AssertInvalidToken(response, "/sse");
    }

    [Fact]
    public async Task Mcp_NonBearerAuthorization_Is401InvalidToken()
    {
        using var request = Http.McpInitialize("/mcp", null);
        request.Headers.Authorization = new("Basic", "YWxpY2U6YWxpY2U=");

        using var response = await Http.SendHeadersAsync(_http, request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("error=\"invalid_token\"", Http.WwwAuthenticate(response), StringComparison.Ordinal);
    }

    private static void AssertInvalidToken(HttpResponseMessage response, string resourcePath)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var challenge = Http.WwwAuthenticate(response);
        Assert.StartsWith("Bearer ", challenge, StringComparison.Ordinal);
        Assert.Contains("error=\"invalid_token\"", challenge, StringComparison.Ordinal);
        Assert.Contains($"resource_metadata=\"http://localhost/.well-known/oauth-protected-resource{resourcePath}\"", challenge, StringComparison.Ordinal);
    }

    private static string Forge(JsonWebToken genuine, SecurityKey key, string algorithm, string type, string? issuer = null, bool withClientId = true)
    {
        var claims = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["sub"] = genuine.Subject,
            ["scope"] = genuine.GetClaim("scope").Value,
            ["jti"] = Guid.NewGuid().ToString("N"),
            ["gid"] = genuine.GetClaim("gid").Value,
        };
        if (withClientId)
        {
            claims["client_id"] = genuine.GetClaim("client_id").Value;
        }

        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer ?? genuine.Issuer,
            Audience = genuine.Audiences.Single(),
            IssuedAt = now,
            NotBefore = now,
            Expires = now.AddHours(1),
            Claims = claims,
            SigningCredentials = new SigningCredentials(key, algorithm),
            TokenType = type,
        });
    }
}
