using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using McpSseAuth.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace McpSseAuth.Tests.Integration;

/// <summary>Test keys for <c>private_key_jwt</c>: the client keeps the private key, the server is configured with the public JWK only.</summary>
internal static class ClientKeys
{
    public const string AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

    public static ECDsaSecurityKey NewEc(string kid) => new(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = kid };

    public static RsaSecurityKey NewRsa(string kid) => new(RSA.Create(2048)) { KeyId = kid };

    /// <summary>
    /// The public members of the key's JWK (made with JsonWebKeyConverter); with <paramref name="includePrivate"/>, the
    /// private ones too ("d", and for RSA the CRT members unless <paramref name="onlyD"/>).
    /// </summary>
    public static JsonObject Jwk(AsymmetricSecurityKey key, bool includePrivate = false, bool onlyD = false)
    {
        var jwk = key switch
        {
            ECDsaSecurityKey ec => JsonWebKeyConverter.ConvertFromECDsaSecurityKey(ec),
            RsaSecurityKey rsa => JsonWebKeyConverter.ConvertFromRSASecurityKey(rsa),
            _ => throw new ArgumentException("EC or RSA keys only.", nameof(key)),
        };
        var json = new JsonObject { ["kty"] = jwk.Kty, ["kid"] = key.KeyId, ["use"] = "sig" };
        if (jwk.Kty == "EC")
        {
            json["crv"] = jwk.Crv;
            json["x"] = jwk.X;
            json["y"] = jwk.Y;
        }
        else
        {
            json["n"] = jwk.N;
            json["e"] = jwk.E;
        }

        if (includePrivate)
        {
            Assert.False(string.IsNullOrEmpty(jwk.D), "The test key should carry its private part.");
            json["d"] = jwk.D;
            if (jwk.Kty == "RSA" && !onlyD)
            {
                json["p"] = jwk.P;
                json["q"] = jwk.Q;
                json["dp"] = jwk.DP;
                json["dq"] = jwk.DQ;
                json["qi"] = jwk.QI;
            }
        }

        return json;
    }

    public static string Jwks(params JsonObject[] keys) => new JsonObject { ["keys"] = new JsonArray([.. keys]) }.ToJsonString();

    /// <summary>A client assertion (RFC 7523 §3); a null key makes an unsigned (alg none) token.</summary>
    public static string Assertion(
        SecurityKey? key, string iss, string aud, string? sub = "(iss)", string? jti = "(new)",
        TimeSpan? expiresIn = null, DateTimeOffset? now = null, string? algorithm = null)
    {
        var at = (now ?? DateTimeOffset.UtcNow).UtcDateTime;
        var expires = at + (expiresIn ?? TimeSpan.FromMinutes(2));
        var issuedAt = expires > at ? at : expires - TimeSpan.FromMinutes(5);
        var claims = new Dictionary<string, object>(StringComparer.Ordinal);
        if (sub is not null)
        {
            claims["sub"] = sub == "(iss)" ? iss : sub;
        }

        if (jti is not null)
        {
            claims["jti"] = jti == "(new)" ? Guid.NewGuid().ToString("N") : jti;
        }

        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = iss,
            Audience = aud,
            Claims = claims,
            IssuedAt = issuedAt,
            NotBefore = issuedAt,
            Expires = expires,
            SigningCredentials = key is null ? null
                : new SigningCredentials(key, algorithm ?? (key is ECDsaSecurityKey ? SecurityAlgorithms.EcdsaSha256 : SecurityAlgorithms.RsaSha256)),
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    public static Dictionary<string, string> AssertionForm(string assertion, string grantType = "client_credentials") => new(StringComparer.Ordinal)
    {
        ["grant_type"] = grantType,
        ["client_assertion_type"] = AssertionType,
        ["client_assertion"] = assertion,
    };

    /// <summary>RFC 6749 §2.3.1: client id and secret form-urlencoded, joined with ':', base64.</summary>
    public static AuthenticationHeaderValue Basic(string clientId, string secret)
        => new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(WebUtility.UrlEncode(clientId) + ":" + WebUtility.UrlEncode(secret))));
}

/// <summary>One app with configured clients of every kind, shared by the tests of <see cref="ConfiguredClientTests"/>.</summary>
public sealed class ConfiguredClientsFixture : IAsyncLifetime
{
    // Characters that must be form-urlencoded inside HTTP Basic (RFC 6749 §2.3.1): space, '+', ':', '%', '&', '/', non-ASCII.
    public const string MachineSecret = "s3cret with+plus:colon%25&slash/é-0123456789abcdef";
    public const string WebSecret = "web-client-secret-0123456789abcdefghijklmnop";
    public const string OtherSecret = "other-machine-secret-0123456789abcdefghijkl";

    public ECDsaSecurityKey EcKey { get; } = ClientKeys.NewEc("ec-1");

    public RsaSecurityKey RsaKey { get; } = ClientKeys.NewRsa("rsa-1");

    public SampleApp App { get; }

    public ConfiguredClientsFixture()
    {
        var jwks = ClientKeys.Jwks(ClientKeys.Jwk(EcKey), ClientKeys.Jwk(RsaKey));
        App = new SampleApp(configure: o =>
        {
            o.Scopes.Add("mcp:read", "Read things");
            o.Scopes.Add("mcp:admin", "Administer things");
            o.Clients.Add(new McpOAuthClient { ClientId = "machine", ClientName = "Nightly job", ClientSecret = MachineSecret, Scopes = { "mcp:tools", "mcp:read" } });
            o.Clients.Add(new McpOAuthClient { ClientId = "other-machine", ClientSecret = OtherSecret });
            o.Clients.Add(new McpOAuthClient { ClientId = "jwt-machine", JwksJson = jwks });
            o.Clients.Add(new McpOAuthClient { ClientId = "web-public", ClientName = "Fixed web client", RedirectUris = { OAuthFlow.RedirectUri } });
            o.Clients.Add(new McpOAuthClient { ClientId = "web-confidential", ClientName = "Confidential web client", ClientSecret = WebSecret, RedirectUris = { OAuthFlow.RedirectUri } });
        });
    }

    public HttpClient CreateClient() => App.CreateRawClient();

    public Task InitializeAsync()
    {
        _ = App.Server;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await App.DisposeAsync();
}

/// <summary>
/// Clients configured in <see cref="McpOAuthOptions.Clients"/>: confidential machine clients with client_credentials
/// (client_secret_basic, client_secret_post, private_key_jwt), fixed public and confidential web clients with the
/// authorization code flow, what the metadata advertises, and revocation by confidential clients.
/// </summary>
public sealed class ConfiguredClientTests(ConfiguredClientsFixture fixture) : IClassFixture<ConfiguredClientsFixture>
{
    private const string Issuer = "http://localhost";
    private const string TokenEndpoint = "http://localhost/oauth/token";

    private readonly HttpClient _http = fixture.CreateClient();

    private Task<HttpResponseMessage> TokenAsync(Dictionary<string, string> form, AuthenticationHeaderValue? authorization = null)
        => PostAsync("/oauth/token", form, authorization);

    private async Task<HttpResponseMessage> PostAsync(string path, Dictionary<string, string> form, AuthenticationHeaderValue? authorization = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Authorization = authorization;
        return await _http.SendAsync(request);
    }

    private static Dictionary<string, string> ClientCredentials(string? scope = null, string? resource = null)
    {
        var form = new Dictionary<string, string>(StringComparer.Ordinal) { ["grant_type"] = "client_credentials" };
        if (scope is not null)
        {
            form["scope"] = scope;
        }

        if (resource is not null)
        {
            form["resource"] = resource;
        }

        return form;
    }

    private async Task<string> MachineTokenAsync()
    {
        using var response = await TokenAsync(ClientCredentials(), ClientKeys.Basic("machine", ConfiguredClientsFixture.MachineSecret));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await Http.ReadJsonAsync(response)).GetProperty("access_token").GetString()!;
    }

    private async Task<HttpStatusCode> CallMcpAsync(string accessToken)
    {
        using var response = await McpWire.PostJsonAsync(_http, "/mcp", Http.InitializeBody, accessToken);
        return response.StatusCode;
    }

    /// <summary>Initializes a Streamable HTTP session and calls the sample's whoami tool; returns its answer.</summary>
    private async Task<string> WhoAmIAsync(string accessToken)
    {
        using var init = await McpWire.PostJsonAsync(_http, "/mcp", Http.InitializeBody, accessToken);
        Assert.Equal(HttpStatusCode.OK, init.StatusCode);
        var sessionId = Assert.Single(init.Headers.GetValues("Mcp-Session-Id"));
        using var call = await McpWire.PostJsonAsync(_http, "/mcp", """{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"whoami","arguments":{}}}""", accessToken, sessionId);
        var body = await call.Content.ReadAsStringAsync();
        Assert.True(call.StatusCode == HttpStatusCode.OK, $"tools/call answered {(int)call.StatusCode}: {body}");
        return body;
    }

    private static async Task AssertInvalidClientAsync(HttpResponseMessage response)
    {
        await Http.AssertOAuthErrorAsync(response, HttpStatusCode.Unauthorized, "invalid_client");
        Assert.Contains("Basic", Http.WwwAuthenticate(response), StringComparison.Ordinal);
    }

    private static string[] Strings(JsonElement metadata, string name)
        => [.. metadata.GetProperty(name).EnumerateArray().Select(e => e.GetString()!).Order(StringComparer.Ordinal)];

    // ---- metadata ----

    [Fact]
    public async Task Metadata_WithoutConfiguredClients_AdvertisesOnlyPublicClients()
    {
        await using var app = new SampleApp();
        using var http = app.CreateRawClient();

        var metadata = await Http.ReadJsonAsync(await http.GetAsync("/.well-known/oauth-authorization-server"));

        Assert.Equal(new[] { "none" }, Strings(metadata, "token_endpoint_auth_methods_supported"));
        Assert.Equal(new[] { "none" }, Strings(metadata, "revocation_endpoint_auth_methods_supported"));
        Assert.False(metadata.TryGetProperty("introspection_endpoint", out _), "No confidential client: no introspection endpoint to advertise.");
        Assert.False(metadata.TryGetProperty("token_endpoint_auth_signing_alg_values_supported", out _));
        Assert.DoesNotContain("client_credentials", Strings(metadata, "grant_types_supported"));
    }

    [Fact]
    public async Task Metadata_WithOnlyAPublicConfiguredClient_AdvertisesNoConfidentialMethods()
    {
        await using var app = new SampleApp(configure: o => o.Clients.Add(new McpOAuthClient { ClientId = "web", RedirectUris = { OAuthFlow.RedirectUri } }));
        using var http = app.CreateRawClient();

        var metadata = await Http.ReadJsonAsync(await http.GetAsync("/.well-known/oauth-authorization-server"));

        Assert.Equal(new[] { "none" }, Strings(metadata, "token_endpoint_auth_methods_supported"));
        Assert.False(metadata.TryGetProperty("introspection_endpoint", out _));
        Assert.DoesNotContain("client_credentials", Strings(metadata, "grant_types_supported"));
    }

    [Theory]
    [InlineData("/oauth/token")]
    [InlineData("/oauth/revoke")]
    [InlineData("/oauth/introspect")]
    public async Task EncryptedOrOtherwiseUnsignedAssertionShapes_AreInvalidClient_NeverA500(string path)
    {
        var header = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode("""{"alg":"RSA-OAEP","enc":"A256GCM"}""");
        foreach (var assertion in new[] { header + ".a.b.c.d", "a.b", "....", header + "..." })
        {
            using var response = await PostAsync(path, new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials",
                ["token"] = "x",
                ["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ["client_assertion"] = assertion,
            });

            await Http.AssertOAuthErrorAsync(response, HttpStatusCode.Unauthorized, "invalid_client");
        }
    }

    [Fact]
    public async Task Metadata_WithSecretAndJwksClients_AdvertisesTheirMethods_ClientCredentials_AndIntrospection()
    {
        var metadata = await Http.ReadJsonAsync(await _http.GetAsync("/.well-known/oauth-authorization-server"));

        var methods = new[] { "client_secret_basic", "client_secret_post", "none", "private_key_jwt" };
        Assert.Equal(methods, Strings(metadata, "token_endpoint_auth_methods_supported"));
        Assert.Equal(methods, Strings(metadata, "revocation_endpoint_auth_methods_supported"));
        Assert.Equal("http://localhost/oauth/introspect", metadata.GetProperty("introspection_endpoint").GetString());
        var introspectionMethods = Strings(metadata, "introspection_endpoint_auth_methods_supported");
        Assert.DoesNotContain("none", introspectionMethods);
        Assert.Contains("private_key_jwt", introspectionMethods);
        Assert.Contains("client_credentials", Strings(metadata, "grant_types_supported"));
        var algorithms = Strings(metadata, "token_endpoint_auth_signing_alg_values_supported");
        Assert.Contains("ES256", algorithms);
        Assert.Contains("RS256", algorithms);
        Assert.DoesNotContain("none", algorithms);
        Assert.DoesNotContain("HS256", algorithms);
    }

    [Fact]
    public async Task Metadata_WithOnlyAJwksClient_DoesNotAdvertiseSecretMethods()
    {
        var jwks = ClientKeys.Jwks(ClientKeys.Jwk(ClientKeys.NewEc("k")));
        await using var app = new SampleApp(configure: o => o.Clients.Add(new McpOAuthClient { ClientId = "jwt", JwksJson = jwks }));
        using var http = app.CreateRawClient();

        var metadata = await Http.ReadJsonAsync(await http.GetAsync("/.well-known/oauth-authorization-server"));

        Assert.Equal(new[] { "none", "private_key_jwt" }, Strings(metadata, "token_endpoint_auth_methods_supported"));
    }

    // ---- client_credentials with a secret ----

    [Fact]
    public async Task ClientCredentials_WithClientSecretBasic_FormUrlEncodedSecret_IssuesAClientTokenWithoutRefreshToken_NotCached()
    {
        using var response = await TokenAsync(ClientCredentials(), ClientKeys.Basic("machine", ConfiguredClientsFixture.MachineSecret));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.CacheControl?.NoStore, "Cache-Control must be no-store (RFC 6749 §5.1).");
        var json = await Http.ReadJsonAsync(response);
        Assert.Equal("Bearer", json.GetProperty("token_type").GetString());
        Assert.True(json.GetProperty("expires_in").GetInt32() > 0);
        Assert.False(json.TryGetProperty("refresh_token", out _), "client_credentials must not issue a refresh token (RFC 6749 §4.4.3).");
        Assert.Equal(["mcp:read", "mcp:tools"], json.GetProperty("scope").GetString()!.Split(' ').Order(StringComparer.Ordinal));

        var jwt = new JsonWebTokenHandler().ReadJsonWebToken(json.GetProperty("access_token").GetString());
        Assert.Equal("client:machine", jwt.Subject);
        Assert.Equal("machine", jwt.GetClaim("client_id").Value);
        Assert.Equal(Issuer, jwt.Issuer);
    }

    [Fact]
    public async Task ClientCredentials_BasicWithPercentEncodedSpace_AlsoAuthenticates()
    {
        // %20 rather than '+' for the space: both are the form-urlencoded decoding of a space.
        var encoded = Uri.EscapeDataString("machine") + ":" + Uri.EscapeDataString(ConfiguredClientsFixture.MachineSecret);
        Assert.Contains("%20", encoded, StringComparison.Ordinal);

        using var response = await TokenAsync(ClientCredentials(), new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(encoded))));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task ClientCredentials_WithClientSecretPost_IssuesAClientToken()
    {
        var form = ClientCredentials();
        form["client_id"] = "machine";
        form["client_secret"] = ConfiguredClientsFixture.MachineSecret;

        using var response = await TokenAsync(form);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await Http.ReadJsonAsync(response);
        Assert.False(json.TryGetProperty("refresh_token", out _));
        Assert.Equal("client:machine", new JsonWebTokenHandler().ReadJsonWebToken(json.GetProperty("access_token").GetString()).Subject);
    }

    [Fact]
    public async Task ClientCredentialsToken_WorksOnMcp_AndTheToolSeesTheClientSubject()
    {
        var token = await MachineTokenAsync();

        var answer = await WhoAmIAsync(token);

        Assert.Contains("sub=client:machine;", answer, StringComparison.Ordinal);
        Assert.Contains("client_id=machine;", answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClientCredentials_NarrowerScope_IsGranted()
    {
        using var response = await TokenAsync(ClientCredentials(scope: "mcp:read"), ClientKeys.Basic("machine", ConfiguredClientsFixture.MachineSecret));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await Http.ReadJsonAsync(response);
        Assert.Equal("mcp:read", json.GetProperty("scope").GetString());
        Assert.Equal("mcp:read", new JsonWebTokenHandler().ReadJsonWebToken(json.GetProperty("access_token").GetString()).GetClaim("scope").Value);
    }

    [Theory]
    [InlineData("mcp:admin")]
    [InlineData("mcp:tools mcp:admin")]
    [InlineData("mcp:unknown")]
    public async Task ClientCredentials_ScopeOutsideTheClients_IsInvalidScope(string scope)
    {
        using var response = await TokenAsync(ClientCredentials(scope: scope), ClientKeys.Basic("machine", ConfiguredClientsFixture.MachineSecret));
        await Http.AssertOAuthErrorAsync(response, HttpStatusCode.BadRequest, "invalid_scope");
    }

    [Fact]
    public async Task ClientCredentials_WithoutScopes_GetsTheDefaultScopes()
    {
        using var response = await TokenAsync(ClientCredentials(), ClientKeys.Basic("other-machine", ConfiguredClientsFixture.OtherSecret));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("mcp:tools", (await Http.ReadJsonAsync(response)).GetProperty("scope").GetString());
    }

    [Fact]
    public async Task ClientCredentials_WithResource_IsBoundToThatOneResource()
    {
        using var response = await TokenAsync(ClientCredentials(resource: Http.SseResource), ClientKeys.Basic("machine", ConfiguredClientsFixture.MachineSecret));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var token = (await Http.ReadJsonAsync(response)).GetProperty("access_token").GetString()!;
        Assert.Equal([Http.SseResource], new JsonWebTokenHandler().ReadJsonWebToken(token).Audiences);
        Assert.Equal(HttpStatusCode.Unauthorized, await CallMcpAsync(token));
    }

    [Fact]
    public async Task ClientCredentials_WithAForeignResource_IsInvalidTarget()
    {
        using var response = await TokenAsync(ClientCredentials(resource: "https://evil.example/mcp"), ClientKeys.Basic("machine", ConfiguredClientsFixture.MachineSecret));
        await Http.AssertOAuthErrorAsync(response, HttpStatusCode.BadRequest, "invalid_target");
    }

    [Theory]
    [InlineData("machine", "wrong-secret-0123456789abcdefghijklmnopqrstuv")]
    [InlineData("machine", "")]
    [InlineData("machine", ConfiguredClientsFixture.OtherSecret)]
    [InlineData("nobody", ConfiguredClientsFixture.MachineSecret)]
    [InlineData("web-public", ConfiguredClientsFixture.MachineSecret)]
    public async Task ClientCredentials_WrongSecretBasic_Is401InvalidClientWithAChallenge(string clientId, string secret)
    {
        using var response = await TokenAsync(ClientCredentials(), ClientKeys.Basic(clientId, secret));
        await AssertInvalidClientAsync(response);
    }

    [Fact]
    public async Task ClientCredentials_WrongSecretPost_Is401InvalidClient()
    {
        var form = ClientCredentials();
        form["client_id"] = "machine";
        form["client_secret"] = ConfiguredClientsFixture.OtherSecret;

        await AssertInvalidClientAsync(await TokenAsync(form));
    }

    [Fact]
    public async Task ClientCredentials_SecretPostToAJwksOnlyClient_Is401InvalidClient()
    {
        var form = ClientCredentials();
        form["client_id"] = "jwt-machine";
        form["client_secret"] = ConfiguredClientsFixture.MachineSecret;

        await AssertInvalidClientAsync(await TokenAsync(form));
    }

    [Theory]
    [InlineData("machine")]
    [InlineData("jwt-machine")]
    public async Task ClientCredentials_ConfidentialClientIdAlone_Is401InvalidClient(string clientId)
    {
        var form = ClientCredentials();
        form["client_id"] = clientId;

        await AssertInvalidClientAsync(await TokenAsync(form));
    }

    [Fact]
    public async Task TwoAuthenticationMethods_BasicAndPost_IsInvalidRequest()
    {
        var form = ClientCredentials();
        form["client_id"] = "machine";
        form["client_secret"] = ConfiguredClientsFixture.MachineSecret;

        using var response = await TokenAsync(form, ClientKeys.Basic("machine", ConfiguredClientsFixture.MachineSecret));

        await Http.AssertOAuthErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task TwoAuthenticationMethods_BasicAndAssertion_IsInvalidRequest()
    {
        var form = ClientKeys.AssertionForm(ClientKeys.Assertion(fixture.EcKey, "jwt-machine", TokenEndpoint));

        using var response = await TokenAsync(form, ClientKeys.Basic("machine", ConfiguredClientsFixture.MachineSecret));

        await Http.AssertOAuthErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task TwoAuthenticationMethods_PostAndAssertion_IsInvalidRequest()
    {
        var form = ClientKeys.AssertionForm(ClientKeys.Assertion(fixture.EcKey, "jwt-machine", TokenEndpoint));
        form["client_secret"] = ConfiguredClientsFixture.MachineSecret;

        await Http.AssertOAuthErrorAsync(await TokenAsync(form), HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task ClientCredentials_ForARegisteredPublicClient_IsUnauthorizedClient()
    {
        var clientId = await new OAuthFlow(_http).RegisterAsync();
        var form = ClientCredentials();
        form["client_id"] = clientId;

        await Http.AssertOAuthErrorAsync(await TokenAsync(form), HttpStatusCode.BadRequest, "unauthorized_client");
    }

    [Fact]
    public async Task ClientCredentials_ForAConfiguredPublicClient_IsUnauthorizedClient()
    {
        var form = ClientCredentials();
        form["client_id"] = "web-public";

        await Http.AssertOAuthErrorAsync(await TokenAsync(form), HttpStatusCode.BadRequest, "unauthorized_client");
    }

    [Fact]
    public async Task ClientCredentials_ForAConfidentialClientWithoutThatGrant_IsUnauthorizedClient()
    {
        using var response = await TokenAsync(ClientCredentials(), ClientKeys.Basic("web-confidential", ConfiguredClientsFixture.WebSecret));
        await Http.AssertOAuthErrorAsync(response, HttpStatusCode.BadRequest, "unauthorized_client");
    }

    // ---- private_key_jwt ----

    [Theory]
    [InlineData("ec", Issuer)]
    [InlineData("ec", TokenEndpoint)]
    [InlineData("rsa", Issuer)]
    [InlineData("rsa", TokenEndpoint)]
    public async Task PrivateKeyJwt_SignedWithAConfiguredKey_ForTheIssuerOrTheTokenEndpoint_IssuesAClientToken(string key, string audience)
    {
        var assertion = ClientKeys.Assertion(key == "ec" ? fixture.EcKey : fixture.RsaKey, "jwt-machine", audience);

        using var response = await TokenAsync(ClientKeys.AssertionForm(assertion));

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        var json = await Http.ReadJsonAsync(response);
        Assert.False(json.TryGetProperty("refresh_token", out _));
        var token = json.GetProperty("access_token").GetString()!;
        Assert.Equal("client:jwt-machine", new JsonWebTokenHandler().ReadJsonWebToken(token).Subject);
        Assert.Equal(HttpStatusCode.OK, await CallMcpAsync(token));
    }

    [Fact]
    public async Task PrivateKeyJwt_WithMatchingClientIdParameter_IsAccepted()
    {
        var form = ClientKeys.AssertionForm(ClientKeys.Assertion(fixture.EcKey, "jwt-machine", TokenEndpoint));
        form["client_id"] = "jwt-machine";

        using var response = await TokenAsync(form);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task PrivateKeyJwt_TheSameAssertionTwice_IsRefusedTheSecondTime()
    {
        var assertion = ClientKeys.Assertion(fixture.EcKey, "jwt-machine", TokenEndpoint);

        using var first = await TokenAsync(ClientKeys.AssertionForm(assertion));
        using var second = await TokenAsync(ClientKeys.AssertionForm(assertion));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        await AssertInvalidClientAsync(second);
    }

    [Fact]
    public async Task PrivateKeyJwt_ANewJtiAfterAUsedOne_IsAccepted()
    {
        using var first = await TokenAsync(ClientKeys.AssertionForm(ClientKeys.Assertion(fixture.EcKey, "jwt-machine", TokenEndpoint)));
        using var second = await TokenAsync(ClientKeys.AssertionForm(ClientKeys.Assertion(fixture.EcKey, "jwt-machine", TokenEndpoint)));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
    }

    [Theory]
    [InlineData("https://evil.example/oauth/token")]
    [InlineData("http://localhost/mcp")]
    [InlineData("http://localhost/oauth/introspect")]
    [InlineData("jwt-machine")]
    public async Task PrivateKeyJwt_WrongAudience_IsInvalidClient(string audience)
    {
        var assertion = ClientKeys.Assertion(fixture.EcKey, "jwt-machine", audience);
        await AssertInvalidClientAsync(await TokenAsync(ClientKeys.AssertionForm(assertion)));
    }

    [Fact]
    public async Task PrivateKeyJwt_ExpiringTenMinutesAhead_IsInvalidClient()
    {
        var assertion = ClientKeys.Assertion(fixture.EcKey, "jwt-machine", TokenEndpoint, expiresIn: TimeSpan.FromMinutes(10));
        await AssertInvalidClientAsync(await TokenAsync(ClientKeys.AssertionForm(assertion)));
    }

    [Fact]
    public async Task PrivateKeyJwt_ExpiringFourMinutesAhead_IsAccepted()
    {
        var assertion = ClientKeys.Assertion(fixture.EcKey, "jwt-machine", TokenEndpoint, expiresIn: TimeSpan.FromMinutes(4));
        Assert.Equal(HttpStatusCode.OK, (await TokenAsync(ClientKeys.AssertionForm(assertion))).StatusCode);
    }

    [Fact]
    public async Task PrivateKeyJwt_Expired_IsInvalidClient()
    {
        var assertion = ClientKeys.Assertion(fixture.EcKey, "jwt-machine", TokenEndpoint, expiresIn: TimeSpan.FromMinutes(-2));
        Assert.True(new JsonWebTokenHandler().ReadJsonWebToken(assertion).ValidTo < DateTime.UtcNow.AddMinutes(-1));
        await AssertInvalidClientAsync(await TokenAsync(ClientKeys.AssertionForm(assertion)));
    }

    [Fact]
    public async Task PrivateKeyJwt_WithoutJti_IsInvalidClient()
    {
        var assertion = ClientKeys.Assertion(fixture.EcKey, "jwt-machine", TokenEndpoint, jti: null);
        Assert.False(new JsonWebTokenHandler().ReadJsonWebToken(assertion).TryGetPayloadValue<string>("jti", out _), "The test assertion should carry no jti.");
        await AssertInvalidClientAsync(await TokenAsync(ClientKeys.AssertionForm(assertion)));
    }

    [Theory]
    [InlineData("someone-else")]
    [InlineData("machine")]
    [InlineData(null)]
    public async Task PrivateKeyJwt_SubjectOtherThanIssuer_IsInvalidClient(string? subject)
    {
        var assertion = ClientKeys.Assertion(fixture.EcKey, "jwt-machine", TokenEndpoint, sub: subject);
        await AssertInvalidClientAsync(await TokenAsync(ClientKeys.AssertionForm(assertion)));
    }

    [Fact]
    public async Task PrivateKeyJwt_SignedByAnotherKeyWithTheSameKid_IsInvalidClient()
    {
        var assertion = ClientKeys.Assertion(ClientKeys.NewEc("ec-1"), "jwt-machine", TokenEndpoint);
        await AssertInvalidClientAsync(await TokenAsync(ClientKeys.AssertionForm(assertion)));
    }

    [Fact]
    public async Task PrivateKeyJwt_Unsigned_AlgNone_IsInvalidClient()
    {
        var assertion = ClientKeys.Assertion(null, "jwt-machine", TokenEndpoint);
        Assert.Equal("none", new JsonWebTokenHandler().ReadJsonWebToken(assertion).Alg);
        await AssertInvalidClientAsync(await TokenAsync(ClientKeys.AssertionForm(assertion)));
    }

    [Fact]
    public async Task PrivateKeyJwt_SignatureStripped_IsInvalidClient()
    {
        var assertion = ClientKeys.Assertion(fixture.EcKey, "jwt-machine", TokenEndpoint);
        var stripped = assertion[..(assertion.LastIndexOf('.') + 1)];
        await AssertInvalidClientAsync(await TokenAsync(ClientKeys.AssertionForm(stripped)));
    }

    [Fact]
    public async Task PrivateKeyJwt_ClientIdParameterOtherThanIssuer_IsInvalidClient()
    {
        var form = ClientKeys.AssertionForm(ClientKeys.Assertion(fixture.EcKey, "jwt-machine", TokenEndpoint));
        form["client_id"] = "machine";

        await AssertInvalidClientAsync(await TokenAsync(form));
    }

    [Fact]
    public async Task PrivateKeyJwt_ForAClientWithoutKeys_IsInvalidClient()
    {
        // A secret client has no JWKS: an assertion naming it proves nothing, whatever key signed it.
        var assertion = ClientKeys.Assertion(fixture.EcKey, "machine", TokenEndpoint);
        await AssertInvalidClientAsync(await TokenAsync(ClientKeys.AssertionForm(assertion)));
    }

    [Theory]
    [InlineData("urn:ietf:params:oauth:client-assertion-type:saml2-bearer")]
    [InlineData("")]
    public async Task PrivateKeyJwt_WrongAssertionType_IsInvalidClient(string type)
    {
        var form = ClientKeys.AssertionForm(ClientKeys.Assertion(fixture.EcKey, "jwt-machine", TokenEndpoint));
        form["client_assertion_type"] = type;

        await AssertInvalidClientAsync(await TokenAsync(form));
    }

    [Fact]
    public async Task PrivateKeyJwt_NotAJwt_IsInvalidClient()
        => await AssertInvalidClientAsync(await TokenAsync(ClientKeys.AssertionForm("not-a-jwt")));

    // ---- configured web clients: the authorization code flow ----

    [Fact]
    public async Task ConfiguredPublicClient_RunsTheCodeFlowWithoutRegistering()
    {
        var flow = new OAuthFlow(_http);
        var code = (await flow.AuthorizeAsync("web-public", Http.McpResource))["code"];

        using var response = await flow.RedeemAsync("web-public", code);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await Http.ReadJsonAsync(response);
        var jwt = new JsonWebTokenHandler().ReadJsonWebToken(json.GetProperty("access_token").GetString());
        Assert.Equal("alice", jwt.Subject);
        Assert.Equal("web-public", jwt.GetClaim("client_id").Value);
        Assert.Equal(HttpStatusCode.OK, await CallMcpAsync(json.GetProperty("access_token").GetString()!));
        using var refreshed = await flow.RefreshAsync("web-public", json.GetProperty("refresh_token").GetString()!);
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
    }

    [Fact]
    public async Task ConfiguredPublicClient_OtherRedirectUri_IsRefused()
    {
        var flow = new OAuthFlow(_http);
        using var response = await _http.GetAsync(flow.AuthorizeUrl("web-public", Http.McpResource, redirectUri: "http://127.0.0.1:7777/other"));
        await Http.AssertErrorPageAsync(response);
    }

    [Fact]
    public async Task ConfiguredConfidentialClient_MustAuthenticateToRedeemItsCode()
    {
        var flow = new OAuthFlow(_http);
        var code = (await flow.AuthorizeAsync("web-confidential", Http.McpResource))["code"];

        using var alone = await flow.RedeemAsync("web-confidential", code);
        await AssertInvalidClientAsync(alone);

        using var wrong = await RedeemWithBasicAsync(flow, code, ConfiguredClientsFixture.OtherSecret);
        await AssertInvalidClientAsync(wrong);

        using var authenticated = await RedeemWithBasicAsync(flow, code, ConfiguredClientsFixture.WebSecret);
        Assert.Equal(HttpStatusCode.OK, authenticated.StatusCode);
        var json = await Http.ReadJsonAsync(authenticated);
        Assert.Equal("alice", new JsonWebTokenHandler().ReadJsonWebToken(json.GetProperty("access_token").GetString()).Subject);
        var refreshToken = json.GetProperty("refresh_token").GetString()!;

        // The refresh token is bound to a confidential client too.
        using var refreshAlone = await flow.RefreshAsync("web-confidential", refreshToken);
        await AssertInvalidClientAsync(refreshAlone);
        using var refreshed = await TokenAsync(
            new Dictionary<string, string>(StringComparer.Ordinal) { ["grant_type"] = "refresh_token", ["refresh_token"] = refreshToken },
            ClientKeys.Basic("web-confidential", ConfiguredClientsFixture.WebSecret));
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
    }

    private Task<HttpResponseMessage> RedeemWithBasicAsync(OAuthFlow flow, string code, string secret)
        => TokenAsync(
            new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["grant_type"] = "authorization_code",
                ["code"] = code,
                ["code_verifier"] = flow.Verifier,
                ["redirect_uri"] = OAuthFlow.RedirectUri,
            },
            ClientKeys.Basic("web-confidential", secret));

    // ---- revocation by confidential clients ----

    [Fact]
    public async Task Revocation_ByAConfidentialClient_RequiresItsCredentials()
    {
        var token = await MachineTokenAsync();

        using var alone = await PostAsync("/oauth/revoke", new Dictionary<string, string>(StringComparer.Ordinal) { ["client_id"] = "machine", ["token"] = token });
        await AssertInvalidClientAsync(alone);
        using var wrong = await PostAsync("/oauth/revoke", new Dictionary<string, string>(StringComparer.Ordinal) { ["token"] = token }, ClientKeys.Basic("machine", ConfiguredClientsFixture.OtherSecret));
        await AssertInvalidClientAsync(wrong);

        Assert.Equal(HttpStatusCode.OK, await CallMcpAsync(token));
    }

    [Fact]
    public async Task Revocation_OfAClientCredentialsToken_EndsIt_AndOnlyIt()
    {
        var token = await MachineTokenAsync();
        var sibling = await MachineTokenAsync();
        Assert.Equal(HttpStatusCode.OK, await CallMcpAsync(token));

        using var response = await PostAsync("/oauth/revoke", new Dictionary<string, string>(StringComparer.Ordinal) { ["token"] = token }, ClientKeys.Basic("machine", ConfiguredClientsFixture.MachineSecret));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, await CallMcpAsync(token));
        Assert.Equal(HttpStatusCode.OK, await CallMcpAsync(sibling));
    }

    [Fact]
    public async Task Revocation_WithClientSecretPostAndPrivateKeyJwt_IsAccepted()
    {
        var token = await MachineTokenAsync();
        using var post = await PostAsync("/oauth/revoke", new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["client_id"] = "machine",
            ["client_secret"] = ConfiguredClientsFixture.MachineSecret,
            ["token"] = token,
        });
        Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, await CallMcpAsync(token));

        using var issued = await TokenAsync(ClientKeys.AssertionForm(ClientKeys.Assertion(fixture.EcKey, "jwt-machine", TokenEndpoint)));
        var jwtToken = (await Http.ReadJsonAsync(issued)).GetProperty("access_token").GetString()!;
        // aud = the revocation endpoint's own URL is accepted there.
        var form = ClientKeys.AssertionForm(ClientKeys.Assertion(fixture.RsaKey, "jwt-machine", "http://localhost/oauth/revoke"));
        form.Remove("grant_type");
        form["token"] = jwtToken;
        using var revoked = await PostAsync("/oauth/revoke", form);
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, await CallMcpAsync(jwtToken));
    }

    [Fact]
    public async Task Revocation_OfAnotherClientsClientCredentialsToken_RevokesNothing()
    {
        var token = await MachineTokenAsync();

        using var response = await PostAsync("/oauth/revoke", new Dictionary<string, string>(StringComparer.Ordinal) { ["token"] = token }, ClientKeys.Basic("other-machine", ConfiguredClientsFixture.OtherSecret));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, await CallMcpAsync(token));
    }
}
