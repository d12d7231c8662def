using System.Net;

namespace McpSseAuth.Tests.Integration;

/// <summary>
/// Browser-based clients (the MCP Inspector) call discovery, registration and token endpoints from another origin:
/// those answer CORS for any origin, without credentials; the login and consent pages do not.
/// </summary>
public sealed class CorsTests(SampleAppFixture fixture) : IClassFixture<SampleAppFixture>
{
    private const string Origin = "http://localhost:6274";
    private readonly HttpClient _http = fixture.CreateClient();

    [Theory]
    [InlineData("/.well-known/oauth-authorization-server", "GET", "mcp-protocol-version")]
    [InlineData("/.well-known/openid-configuration", "GET", "mcp-protocol-version")]
    [InlineData("/.well-known/oauth-protected-resource/mcp", "GET", "mcp-protocol-version")]
    [InlineData("/.well-known/oauth-protected-resource/sse", "GET", "mcp-protocol-version")]
    [InlineData("/oauth/jwks", "GET", "accept")]
    [InlineData("/oauth/register", "POST", "content-type")]
    [InlineData("/oauth/token", "POST", "content-type")]
    public async Task Preflight_ToAPublicEndpoint_IsAllowedForAnyOrigin(string path, string method, string header)
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, path);
        request.Headers.Add("Origin", Origin);
        request.Headers.Add("Access-Control-Request-Method", method);
        request.Headers.Add("Access-Control-Request-Headers", header);

        using var response = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("*", Assert.Single(response.Headers.GetValues("Access-Control-Allow-Origin")));
        Assert.Contains(method, string.Join(",", response.Headers.GetValues("Access-Control-Allow-Methods")), StringComparison.Ordinal);
        Assert.False(response.Headers.Contains("Access-Control-Allow-Credentials"));
    }

    [Theory]
    [InlineData("/.well-known/oauth-authorization-server")]
    [InlineData("/.well-known/oauth-protected-resource/mcp")]
    [InlineData("/oauth/jwks")]
    public async Task CrossOriginGet_OfMetadata_IsReadable(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Origin", Origin);

        using var response = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("*", Assert.Single(response.Headers.GetValues("Access-Control-Allow-Origin")));
    }

    [Fact]
    public async Task CrossOriginTokenError_IsReadable()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "authorization_code", ["client_id"] = "unknown" }),
        };
        request.Headers.Add("Origin", Origin);

        using var response = await _http.SendAsync(request);

        await Http.AssertOAuthErrorAsync(response, HttpStatusCode.Unauthorized, "invalid_client");
        Assert.Equal("*", Assert.Single(response.Headers.GetValues("Access-Control-Allow-Origin")));
    }

    [Theory]
    [InlineData("/oauth/login")]
    [InlineData("/oauth/consent")]
    public async Task Pages_AreNotCorsEnabled(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, path);
        request.Headers.Add("Origin", Origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");

        using var response = await _http.SendAsync(request);

        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
    }
}
