using System.Buffers.Text;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using McpSseAuth.Tests.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;

namespace McpSseAuth.Tests.EndToEnd;

/// <summary>
/// The loopback OpenID Connect provider (tests/e2e-ts/oidc-provider.mjs, real <c>oidc-provider</c>) behaves like the upstream
/// identity provider the other tests rely on: discovery, code + PKCE with any-port loopback redirect URIs, the plain HTML
/// login form, claims derived from the login, userinfo and rotating refresh tokens. Driven by a plain HttpClient.
/// </summary>
public sealed class OidcProviderHarnessTests : IAsyncLifetime
{
    private readonly HttpClient _http = new(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer(), UseCookies = true });
    private readonly string _verifier = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
    private readonly string _state = Guid.NewGuid().ToString("N");
    private readonly string _nonce = Guid.NewGuid().ToString("N");

    // The port nothing listens on: the provider accepts any loopback port, the redirect is only read from Location.
    private readonly string _redirectUri = $"http://127.0.0.1:{RandomNumberGenerator.GetInt32(20000, 60000)}/signin-oidc";

    private OidcProvider _provider = null!;

    private string Challenge => Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(_verifier)));

    public async Task InitializeAsync() => _provider = await OidcProvider.StartAsync();

    public async Task DisposeAsync()
    {
        _http.Dispose();
        if (_provider is not null)
        {
            await _provider.DisposeAsync();
        }
    }

    [Fact]
    public async Task Provider_Discovery_AdvertisesCodeFlowAndRefresh()
    {
        var discovery = await DiscoverAsync();

        Assert.Equal(_provider.Issuer, discovery.GetProperty("issuer").GetString());
        Assert.StartsWith("http://127.0.0.1:", _provider.Issuer, StringComparison.Ordinal);
        Assert.Equal(_provider.Issuer + "/auth", discovery.GetProperty("authorization_endpoint").GetString());
        Assert.Equal(_provider.Issuer + "/token", discovery.GetProperty("token_endpoint").GetString());
        Assert.Equal(_provider.Issuer + "/me", discovery.GetProperty("userinfo_endpoint").GetString());
        Assert.True(discovery.TryGetProperty("jwks_uri", out _));
        Assert.True(discovery.TryGetProperty("introspection_endpoint", out _));
        Assert.Contains("code", Strings(discovery, "response_types_supported"));
        Assert.Equal(["S256"], Strings(discovery, "code_challenge_methods_supported"));
        Assert.Contains("authorization_code", Strings(discovery, "grant_types_supported"));
        Assert.Contains("refresh_token", Strings(discovery, "grant_types_supported"));
        Assert.Contains("client_secret_post", Strings(discovery, "token_endpoint_auth_methods_supported"));
        Assert.Contains("client_secret_basic", Strings(discovery, "token_endpoint_auth_methods_supported"));
        foreach (var scope in new[] { "openid", "profile", "email", "offline_access", "groups" })
        {
            Assert.Contains(scope, Strings(discovery, "scopes_supported"));
        }

        Assert.Contains("groups", Strings(discovery, "claims_supported"));
        Assert.Contains("hd", Strings(discovery, "claims_supported"));
    }

    [Fact]
    public async Task Provider_CodeFlowWithPkce_IssuesClaimsUserinfoAndRotatingRefreshTokens()
    {
        var discovery = await DiscoverAsync();

        // Authorize: a signed-out user is sent to the plain HTML login form.
        var toLogin = await _http.GetAsync(AuthorizeUrl());
        Assert.Equal(HttpStatusCode.SeeOther, toLogin.StatusCode);
        var loginPage = new Uri(new Uri(_provider.Issuer), toLogin.Headers.Location!);
        Assert.StartsWith("/interaction/", loginPage.AbsolutePath, StringComparison.Ordinal);
        var html = await _http.GetStringAsync(loginPage);
        Assert.Contains($"<form method=\"post\" action=\"{loginPage.AbsolutePath}/login\">", html, StringComparison.Ordinal);
        Assert.Contains("name=\"login\"", html, StringComparison.Ordinal);
        Assert.Contains("name=\"password\"", html, StringComparison.Ordinal);
        Assert.Contains($"<form method=\"post\" action=\"{loginPage.AbsolutePath}/abort\">", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);

        // Sign in; the provider resumes the authorization and redirects to the (any-port) redirect URI with a code.
        var callback = await FollowToRedirectUriAsync(await PostFormAsync(new Uri(loginPage + "/login"), ("login", "alice@example.com"), ("password", "password")));
        var query = QueryHelpers.ParseQuery(callback.Query);
        Assert.Equal(_state, query["state"].ToString());
        Assert.Equal(_provider.Issuer, query["iss"].ToString());
        var code = query["code"].ToString();
        Assert.NotEmpty(code);

        // Redeem with client_secret_post (what ASP.NET Core's OpenIdConnect handler sends) and the PKCE verifier.
        var tokens = await TokenAsync(discovery, basic: false, ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", _redirectUri), ("code_verifier", _verifier));
        Assert.Equal("Bearer", tokens.GetProperty("token_type").GetString());
        var accessToken = tokens.GetProperty("access_token").GetString()!;
        var refreshToken = tokens.GetProperty("refresh_token").GetString()!;

        var idToken = await VerifyIdTokenAsync(discovery, tokens.GetProperty("id_token").GetString()!);
        Assert.Equal(_provider.Issuer, idToken.GetProperty("iss").GetString());
        Assert.Equal(_provider.ClientId, idToken.GetProperty("aud").GetString());
        Assert.Equal(_nonce, idToken.GetProperty("nonce").GetString());
        var sub = idToken.GetProperty("sub").GetString()!;
        Assert.StartsWith("u-", sub, StringComparison.Ordinal);
        Assert.Equal("alice@example.com", idToken.GetProperty("email").GetString());
        Assert.True(idToken.GetProperty("email_verified").GetBoolean());
        Assert.Equal("example.com", idToken.GetProperty("hd").GetString());
        Assert.Equal(["mcp-users"], Strings(idToken, "groups"));
        Assert.Equal("Alice Example", idToken.GetProperty("name").GetString());

        // Userinfo with the access token: the same claims.
        using var userinfoRequest = new HttpRequestMessage(HttpMethod.Get, discovery.GetProperty("userinfo_endpoint").GetString());
        userinfoRequest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        using var userinfoResponse = await _http.SendAsync(userinfoRequest);
        Assert.Equal(HttpStatusCode.OK, userinfoResponse.StatusCode);
        using var userinfo = JsonDocument.Parse(await userinfoResponse.Content.ReadAsStringAsync());
        Assert.Equal(sub, userinfo.RootElement.GetProperty("sub").GetString());
        Assert.Equal("alice@example.com", userinfo.RootElement.GetProperty("email").GetString());
        Assert.Equal(["mcp-users"], Strings(userinfo.RootElement, "groups"));

        // Refresh (client_secret_basic this time): a new, different refresh token; the old one is spent.
        var refreshed = await TokenAsync(discovery, basic: true, ("grant_type", "refresh_token"), ("refresh_token", refreshToken));
        var newRefreshToken = refreshed.GetProperty("refresh_token").GetString()!;
        Assert.NotEqual(refreshToken, newRefreshToken);
        Assert.NotEqual(accessToken, refreshed.GetProperty("access_token").GetString());
        Assert.Equal(sub, (await VerifyIdTokenAsync(discovery, refreshed.GetProperty("id_token").GetString()!)).GetProperty("sub").GetString());

        using var replay = await PostTokenAsync(discovery, basic: false, ("grant_type", "refresh_token"), ("refresh_token", refreshToken));
        Assert.Equal(HttpStatusCode.BadRequest, replay.StatusCode);
        Assert.Contains("invalid_grant", await replay.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Provider_WrongPassword_ShowsLoginFormAgain()
    {
        var loginPage = new Uri(new Uri(_provider.Issuer), (await _http.GetAsync(AuthorizeUrl())).Headers.Location!);
        await _http.GetStringAsync(loginPage);

        using var rejected = await PostFormAsync(new Uri(loginPage + "/login"), ("login", "alice@example.com"), ("password", "alice"));
        Assert.Equal(HttpStatusCode.OK, rejected.StatusCode);
        var html = await rejected.Content.ReadAsStringAsync();
        Assert.Contains("id=\"error\"", html, StringComparison.Ordinal);
        Assert.Contains("name=\"password\"", html, StringComparison.Ordinal);
        Assert.Contains("value=\"alice@example.com\"", html, StringComparison.Ordinal);

        // The same interaction still completes with the right password.
        var callback = await FollowToRedirectUriAsync(await PostFormAsync(new Uri(loginPage + "/login"), ("login", "alice@example.com"), ("password", "password")));
        Assert.True(QueryHelpers.ParseQuery(callback.Query).ContainsKey("code"));
    }

    [Fact]
    public async Task Provider_Abort_RedirectsWithAccessDenied()
    {
        var loginPage = new Uri(new Uri(_provider.Issuer), (await _http.GetAsync(AuthorizeUrl())).Headers.Location!);
        await _http.GetStringAsync(loginPage);

        var callback = await FollowToRedirectUriAsync(await PostFormAsync(new Uri(loginPage + "/abort")));

        var query = QueryHelpers.ParseQuery(callback.Query);
        Assert.Equal("access_denied", query["error"].ToString());
        Assert.Equal(_state, query["state"].ToString());
        Assert.False(query.ContainsKey("code"));
    }

    [Theory]
    [InlineData("bob@corp.test", true, null, "staff")]
    [InlineData("admin@example.com", true, "example.com", "mcp-users")]
    [InlineData("unverified-carol@example.com", false, "example.com", null)]
    public async Task Provider_Claims_AreDerivedFromTheLogin(string login, bool emailVerified, string? hd, string? group)
    {
        var discovery = await DiscoverAsync();
        var callback = await _provider.SignInAsync(_http, AuthorizeUrl(), login);
        var code = QueryHelpers.ParseQuery(callback.Query)["code"].ToString();
        var tokens = await TokenAsync(discovery, basic: false, ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", _redirectUri), ("code_verifier", _verifier));
        var idToken = await VerifyIdTokenAsync(discovery, tokens.GetProperty("id_token").GetString()!);

        Assert.Equal(login, idToken.GetProperty("email").GetString());
        Assert.Equal(emailVerified, idToken.GetProperty("email_verified").GetBoolean());
        Assert.Equal(hd, idToken.TryGetProperty("hd", out var hdClaim) ? hdClaim.GetString() : null);
        Assert.Equal(group is null ? Array.Empty<string>() : new[] { group }, Strings(idToken, "groups"));
        Assert.True(tokens.TryGetProperty("refresh_token", out _));   // always issued, even without offline_access
    }

    [Fact]
    public async Task Provider_SameLogin_GetsTheSameSubject_AndFormPostWorks()
    {
        var discovery = await DiscoverAsync();
        var first = await _provider.SignInAsync(_http, AuthorizeUrl(), "dave@example.org");

        // A second authorization with a fresh cookie jar, another port and path, and response_mode=form_post.
        using var other = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer(), UseCookies = true });
        var redirectUri = $"http://127.0.0.1:{RandomNumberGenerator.GetInt32(20000, 60000)}/signin-upstream";
        var second = await _provider.SignInAsync(other, AuthorizeUrl(redirectUri, ("response_mode", "form_post")), "dave@example.org");
        Assert.Equal(redirectUri, second.GetLeftPart(UriPartial.Path));

        var subjects = new List<string>();
        foreach (var (callback, uri) in new[] { (first, _redirectUri), (second, redirectUri) })
        {
            var code = QueryHelpers.ParseQuery(callback.Query)["code"].ToString();
            var tokens = await TokenAsync(discovery, basic: false, ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", uri), ("code_verifier", _verifier));
            subjects.Add((await VerifyIdTokenAsync(discovery, tokens.GetProperty("id_token").GetString()!)).GetProperty("sub").GetString()!);
        }

        Assert.Equal(subjects[0], subjects[1]);
    }

    [Theory]
    [InlineData("http://127.0.0.1:5000/callback")]
    [InlineData("http://evil.example:5000/signin-oidc")]
    [InlineData("https://127.0.0.1:5000/signin-oidc")]
    public async Task Provider_RedirectUriOutsideLoopbackSignin_IsRejected(string redirectUri)
    {
        using var response = await _http.GetAsync(AuthorizeUrl(redirectUri));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Contains("invalid_redirect_uri", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private Uri AuthorizeUrl(string? redirectUri = null, params (string Key, string Value)[] extra)
    {
        var parameters = new Dictionary<string, string?>
        {
            ["response_type"] = "code",
            ["client_id"] = _provider.ClientId,
            ["redirect_uri"] = redirectUri ?? _redirectUri,
            ["scope"] = "openid profile email groups offline_access",
            ["code_challenge"] = Challenge,
            ["code_challenge_method"] = "S256",
            ["state"] = _state,
            ["nonce"] = _nonce,
        };
        foreach (var (key, value) in extra)
        {
            parameters[key] = value;
        }

        return new Uri(QueryHelpers.AddQueryString(_provider.Issuer + "/auth", parameters));
    }

    /// <summary>Follows the provider's redirects until one leaves it; returns that Location (the redirect URI).</summary>
    private async Task<Uri> FollowToRedirectUriAsync(HttpResponseMessage response)
    {
        var issuer = new Uri(_provider.Issuer);
        for (var hop = 0; hop < 10; hop++)
        {
            Assert.True((int)response.StatusCode is >= 300 and < 400, $"expected a redirect, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            var location = new Uri(issuer, response.Headers.Location!);
            response.Dispose();
            if (location.GetLeftPart(UriPartial.Authority) != issuer.GetLeftPart(UriPartial.Authority))
            {
                Assert.Equal(_redirectUri, location.GetLeftPart(UriPartial.Path));
                return location;
            }

            response = await _http.GetAsync(location);
        }

        response.Dispose();

        throw new InvalidOperationException("Too many redirects.");
    }

    private Task<HttpResponseMessage> PostFormAsync(Uri url, params (string Key, string Value)[] fields)
        => _http.PostAsync(url, new FormUrlEncodedContent(fields.Select(f => KeyValuePair.Create(f.Key, f.Value))));

    private async Task<JsonElement> DiscoverAsync()
    {
        using var json = JsonDocument.Parse(await _http.GetStringAsync(_provider.Issuer + "/.well-known/openid-configuration"));
        return json.RootElement.Clone();
    }

    private async Task<HttpResponseMessage> PostTokenAsync(JsonElement discovery, bool basic, params (string Key, string Value)[] fields)
    {
        var form = fields.Select(f => KeyValuePair.Create(f.Key, f.Value)).ToList();
        using var request = new HttpRequestMessage(HttpMethod.Post, discovery.GetProperty("token_endpoint").GetString());
        if (basic)
        {
            var credentials = $"{Uri.EscapeDataString(_provider.ClientId)}:{Uri.EscapeDataString(_provider.ClientSecret)}";
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
        }
        else
        {
            form.Add(KeyValuePair.Create("client_id", _provider.ClientId));
            form.Add(KeyValuePair.Create("client_secret", _provider.ClientSecret));
        }

        request.Content = new FormUrlEncodedContent(form);
        return await _http.SendAsync(request);
    }

    private async Task<JsonElement> TokenAsync(JsonElement discovery, bool basic, params (string Key, string Value)[] fields)
    {
        using var response = await PostTokenAsync(discovery, basic, fields);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"token endpoint {(int)response.StatusCode}: {body}");
        using var json = JsonDocument.Parse(body);
        return json.RootElement.Clone();
    }

    /// <summary>Checks the RS256 signature against the provider's JWKS and returns the payload.</summary>
    private async Task<JsonElement> VerifyIdTokenAsync(JsonElement discovery, string jwt)
    {
        var parts = jwt.Split('.');
        Assert.Equal(3, parts.Length);
        using var header = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0]));
        Assert.Equal("RS256", header.RootElement.GetProperty("alg").GetString());
        var kid = header.RootElement.GetProperty("kid").GetString();

        using var jwks = JsonDocument.Parse(await _http.GetStringAsync(discovery.GetProperty("jwks_uri").GetString()));
        var key = jwks.RootElement.GetProperty("keys").EnumerateArray().Single(k => k.GetProperty("kid").GetString() == kid);
        using var rsa = RSA.Create(new RSAParameters
        {
            Modulus = Base64Url.DecodeFromChars(key.GetProperty("n").GetString()),
            Exponent = Base64Url.DecodeFromChars(key.GetProperty("e").GetString()),
        });
        Assert.True(rsa.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), Base64Url.DecodeFromChars(parts[2]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1), "id_token signature");

        using var payload = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1]));
        return payload.RootElement.Clone();
    }

    private static string[] Strings(JsonElement element, string property)
        => element.GetProperty(property).EnumerateArray().Select(e => e.GetString()!).ToArray();
}
