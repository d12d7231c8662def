using System.Net;
using System.Text.Json;
using McpSseAuth.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;

namespace McpSseAuth.Tests.Integration;

/// <summary>Discovery: RFC 8414 authorization server metadata, RFC 9728 protected resource metadata, the JWKS.</summary>
public sealed class MetadataTests(SampleAppFixture fixture) : IClassFixture<SampleAppFixture>
{
    private readonly HttpClient _http = fixture.CreateClient();

    [Fact]
    public async Task AuthorizationServerMetadata_DescribesEndpointsAndOAuth21Profile()
    {
        var response = await _http.GetAsync("/.well-known/oauth-authorization-server");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var metadata = await Http.ReadJsonAsync(response);
        Assert.Equal("http://localhost", metadata.GetProperty("issuer").GetString());
        Assert.Equal("http://localhost/oauth/authorize", metadata.GetProperty("authorization_endpoint").GetString());
        Assert.Equal("http://localhost/oauth/token", metadata.GetProperty("token_endpoint").GetString());
        Assert.Equal("http://localhost/oauth/register", metadata.GetProperty("registration_endpoint").GetString());
        Assert.Equal("http://localhost/oauth/jwks", metadata.GetProperty("jwks_uri").GetString());
        Assert.Equal(["S256"], Strings(metadata, "code_challenge_methods_supported"));
        Assert.Equal(["code"], Strings(metadata, "response_types_supported"));
        Assert.Equal(["none"], Strings(metadata, "token_endpoint_auth_methods_supported"));
        Assert.Equal(["authorization_code", "refresh_token"], Strings(metadata, "grant_types_supported"));
        Assert.Contains("mcp:tools", Strings(metadata, "scopes_supported"));
        Assert.True(metadata.GetProperty("authorization_response_iss_parameter_supported").GetBoolean());
    }

    [Fact]
    public async Task OpenIdConfiguration_HasTheSameFacts_PlusTheMembersOpenIdDiscoveryRequires()
    {
        using var oauth = System.Text.Json.JsonDocument.Parse(await _http.GetStringAsync("/.well-known/oauth-authorization-server"));
        using var openId = System.Text.Json.JsonDocument.Parse(await _http.GetStringAsync("/.well-known/openid-configuration"));

        foreach (var member in oauth.RootElement.EnumerateObject())
        {
            Assert.Equal(member.Value.GetRawText(), openId.RootElement.GetProperty(member.Name).GetRawText());
        }

        Assert.Equal("""["public"]""", openId.RootElement.GetProperty("subject_types_supported").GetRawText());
        Assert.Equal("""["ES256"]""", openId.RootElement.GetProperty("id_token_signing_alg_values_supported").GetRawText());
        Assert.False(oauth.RootElement.TryGetProperty("subject_types_supported", out _));
        Assert.DoesNotContain("openid", oauth.RootElement.GetProperty("scopes_supported").EnumerateArray().Select(s => s.GetString()));
    }

    [Theory]
    [InlineData("/mcp", "http://localhost/mcp")]
    [InlineData("/sse", "http://localhost/sse")]
    [InlineData("/message", "http://localhost/sse")]
    public async Task ProtectedResourceMetadata_NamesTheResourceOfEachMcpEndpoint(string endpoint, string resource)
    {
        var response = await _http.GetAsync("/.well-known/oauth-protected-resource" + endpoint);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var metadata = await Http.ReadJsonAsync(response);
        Assert.Equal(resource, metadata.GetProperty("resource").GetString());
        Assert.Equal(["http://localhost"], Strings(metadata, "authorization_servers"));
        Assert.Equal(["header"], Strings(metadata, "bearer_methods_supported"));
        Assert.Contains("mcp:tools", Strings(metadata, "scopes_supported"));
    }

    [Theory]
    [InlineData("/unknown")]
    [InlineData("/oauth/token")]
    [InlineData("")]
    public async Task ProtectedResourceMetadata_ForAPathThatIsNoMcpEndpoint_IsNotFound(string suffix)
    {
        var response = await _http.GetAsync("/.well-known/oauth-protected-resource" + suffix);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Theory]
    [InlineData("POST")]
    [InlineData("DELETE")]
    public async Task ProtectedResourceMetadata_OtherMethods_AreRefusedWithAnOAuthError(string method)
    {
        using var response = await _http.SendAsync(new HttpRequestMessage(new HttpMethod(method), "/.well-known/oauth-protected-resource/mcp"));

        await Http.AssertOAuthErrorAsync(response, HttpStatusCode.MethodNotAllowed, "invalid_request");
        Assert.Equal("GET", response.Content.Headers.Allow.Single());
    }

    [Fact]
    public async Task NoAuthenticationSchemeServesRequests_SoNoHandlerIsCreatedForEveryRequestOfTheApp()
    {
        // The authentication middleware creates and asks each request-serving scheme's handler on every request (MCP calls
        // included): the protected resource metadata is served by endpoints instead of the SDK's handler.
        var schemes = fixture.App.Services.GetRequiredService<Microsoft.AspNetCore.Authentication.IAuthenticationSchemeProvider>();

        Assert.Empty(await schemes.GetRequestHandlerSchemesAsync());
        Assert.Equal(typeof(McpSseAuth.Validation.McpOAuthChallengeHandler).FullName, (await schemes.GetSchemeAsync(ModelContextProtocol.AspNetCore.Authentication.McpAuthenticationDefaults.AuthenticationScheme))!.HandlerType.FullName);
    }

    [Fact]
    public async Task Issuer_IsByteIdenticalInMetadataResourceMetadataAndAccessToken()
    {
        var issuer = (await Http.ReadJsonAsync(await _http.GetAsync("/.well-known/oauth-authorization-server"))).GetProperty("issuer").GetString();
        var prm = await Http.ReadJsonAsync(await _http.GetAsync("/.well-known/oauth-protected-resource/mcp"));
        var tokens = await new OAuthFlow(_http).GetTokensAsync(Http.McpResource);
        var jwt = new JsonWebTokenHandler().ReadJsonWebToken(tokens.AccessToken);

        Assert.Equal("http://localhost", issuer);
        Assert.Equal(issuer, Assert.Single(Strings(prm, "authorization_servers")));
        Assert.Equal(issuer, jwt.Issuer);
    }

    [Fact]
    public async Task Jwks_PublishesTheTokenSigningKey_WithoutPrivateParameters()
    {
        var tokens = await new OAuthFlow(_http).GetTokensAsync(Http.McpResource);
        var kid = new JsonWebTokenHandler().ReadJsonWebToken(tokens.AccessToken).Kid;

        var response = await _http.GetAsync("/oauth/jwks");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var key = Assert.Single((await Http.ReadJsonAsync(response)).GetProperty("keys").EnumerateArray());
        Assert.False(string.IsNullOrEmpty(kid));
        Assert.Equal(kid, key.GetProperty("kid").GetString());
        Assert.Equal("sig", key.GetProperty("use").GetString());
        foreach (var secret in new[] { "d", "p", "q", "dp", "dq", "qi", "k" })
        {
            Assert.False(key.TryGetProperty(secret, out _), $"The JWKS leaks the private parameter '{secret}'.");
        }
    }

    [Fact]
    public async Task ConfiguredIssuer_WithTrailingSlash_IsUsedWithoutItEverywhere()
    {
        await using var app = new SampleApp(configure: o => o.Issuer = new Uri("https://mcp.example.com/"));
        // The sign-in cookie of an https issuer is Secure and __Host- prefixed, so the browser talks https to the test server.
        var http = app.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions
        {
            AllowAutoRedirect = false,
            HandleCookies = false,
            BaseAddress = new Uri("https://localhost"),
        });

        var metadata = await Http.ReadJsonAsync(await http.GetAsync("/.well-known/oauth-authorization-server"));
        var prm = await Http.ReadJsonAsync(await http.GetAsync("/.well-known/oauth-protected-resource/mcp"));
        var tokens = await new OAuthFlow(http).GetTokensAsync("https://mcp.example.com/mcp");
        var jwt = new JsonWebTokenHandler().ReadJsonWebToken(tokens.AccessToken);

        Assert.Equal("https://mcp.example.com", metadata.GetProperty("issuer").GetString());
        Assert.Equal("https://mcp.example.com/oauth/token", metadata.GetProperty("token_endpoint").GetString());
        Assert.Equal(["https://mcp.example.com"], Strings(prm, "authorization_servers"));
        Assert.Equal("https://mcp.example.com/mcp", prm.GetProperty("resource").GetString());
        Assert.Equal("https://mcp.example.com", jwt.Issuer);
        Assert.Equal(["https://mcp.example.com/mcp"], jwt.Audiences);
        // A configured issuer makes the documents the same for every request: shared caches may keep them.
        Assert.Equal("public, max-age=300", (await http.GetAsync("/.well-known/oauth-authorization-server")).Headers.CacheControl!.ToString());
        // The login form's anti-forgery cookie is Secure like the sign-in cookie.
        var login = await http.GetAsync("/oauth/login");
        Assert.All(login.Headers.GetValues("Set-Cookie"), c => Assert.Contains("secure", c, StringComparison.OrdinalIgnoreCase));
        Assert.Contains(login.Headers.GetValues("Set-Cookie"), c => c.StartsWith("__Host-mcp-oauth-af=", StringComparison.Ordinal) && c.Contains("path=/;", StringComparison.OrdinalIgnoreCase));
    }

    [Theory]
    [InlineData("/.well-known/oauth-authorization-server")]
    [InlineData("/.well-known/openid-configuration")]
    [InlineData("/.well-known/oauth-protected-resource/mcp")]
    [InlineData("/oauth/jwks")]
    public async Task DerivedIssuer_MetadataIsCacheableByTheClientOnly(string path)
    {
        // The documents depend on the Host header then: a shared cache must not hand one host's URIs to another.
        var response = await _http.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.CacheControl!.Private, response.Headers.CacheControl.ToString());
    }

    private static string[] Strings(JsonElement element, string name)
        => [.. element.GetProperty(name).EnumerateArray().Select(e => e.GetString()!)];
}
