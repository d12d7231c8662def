using System.Net;
using McpSseAuth.Keys;
using McpSseAuth.Tests.Infrastructure;
using McpSseAuth.Tokens;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using TestHttp = McpSseAuth.Tests.Integration.Http;

namespace McpSseAuth.Tests.Docs;

/// <summary>
/// What docs/troubleshooting.md tells users, as behaviour: the symptom each entry quotes, and that the fix it gives works.
/// Entries already proven elsewhere (access rules, 503 as JSON, redirect URI mismatch) are not repeated here.
/// </summary>
public sealed class TroubleshootingTests : IDisposable
{
    private const string PublicHost = "mcp.example.com";

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "mcpsseauth-troubleshooting-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    // --- invalid_client after a restart ---

    [Fact]
    public async Task MemoryStorage_Restart_ForgetsTheClient_TokenEndpointSaysRegisterAgain_AndTheAuthorizePageSaysSo()
    {
        TokenSet tokens;
        await using (var first = new SampleApp())
        {
            tokens = await new OAuthFlow(first.CreateRawClient()).GetTokensAsync(TestHttp.McpResource);
        }

        await using var restarted = new SampleApp();
        var http = restarted.CreateRawClient();

        using var refresh = await new OAuthFlow(http).RefreshAsync(tokens.ClientId, tokens.RefreshToken);
        var error = await TestHttp.AssertOAuthErrorAsync(refresh, HttpStatusCode.Unauthorized, "invalid_client");
        Assert.Equal("Unknown client_id. The client should register again.", error.GetProperty("error_description").GetString());
        Assert.Equal("Basic realm=\"oauth\"", TestHttp.WwwAuthenticate(refresh));

        using var authorize = await http.GetAsync(new OAuthFlow(http).AuthorizeUrl(tokens.ClientId, TestHttp.McpResource));
        var page = await TestHttp.AssertErrorPageAsync(authorize);
        Assert.Contains("This application is not registered with this server (unknown client_id). It should register again.", page, StringComparison.Ordinal);

        // The signing key was in memory too: the old access token no longer verifies.
        using var mcp = await TestHttp.SendHeadersAsync(http, TestHttp.McpInitialize("/mcp", tokens.AccessToken));
        Assert.Contains("error_description=\"The access token signature is not valid\"", TestHttp.WwwAuthenticate(mcp), StringComparison.Ordinal);

        // The client's way out: register again.
        Assert.False(string.IsNullOrEmpty((await new OAuthFlow(http).GetTokensAsync(TestHttp.McpResource)).AccessToken));
    }

    [Fact]
    public async Task SqliteStorage_Restart_KeepsTheClient_ItsRefreshToken_AndItsAccessToken()
    {
        var database = Path.Combine(_folder, "mcp-oauth.db");
        TokenSet tokens;
        await using (var first = new SampleApp(services: s => s.AddMcpOAuthSqlite(database)))
        {
            tokens = await new OAuthFlow(first.CreateRawClient()).GetTokensAsync(TestHttp.McpResource);
        }

        await using var restarted = new SampleApp(services: s => s.AddMcpOAuthSqlite(database));
        var http = restarted.CreateRawClient();

        using var mcp = await TestHttp.SendHeadersAsync(http, TestHttp.McpInitialize("/mcp", tokens.AccessToken));
        Assert.Equal(HttpStatusCode.OK, mcp.StatusCode);
        using var refresh = await new OAuthFlow(http).RefreshAsync(tokens.ClientId, tokens.RefreshToken);
        Assert.Equal(HttpStatusCode.OK, refresh.StatusCode);
    }

    // --- audience and trailing slashes ---

    [Fact]
    public async Task TokenForAnotherEndpoint_Is401_IssuedForAnotherResource_AndTheMetadataNamesTheRightOne()
    {
        await using var app = new SampleApp();
        var http = app.CreateRawClient();
        var tokens = await new OAuthFlow(http).GetTokensAsync(TestHttp.SseResource);

        using var response = await TestHttp.SendHeadersAsync(http, TestHttp.McpInitialize("/mcp", tokens.AccessToken));
        var challenge = TestHttp.WwwAuthenticate(response);
        var metadataUrl = ResourceMetadataUrl(challenge);
        var metadata = await TestHttp.ReadJsonAsync(await http.GetAsync(metadataUrl));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("error_description=\"The access token was issued for another resource\"", challenge, StringComparison.Ordinal);
        Assert.Equal("http://localhost/.well-known/oauth-protected-resource/mcp", metadataUrl);
        Assert.Equal(TestHttp.McpResource, metadata.GetProperty("resource").GetString());
    }

    [Fact]
    public async Task ResourceWithATrailingSlash_IsTheSameResource_AndItsTokenWorksWithAndWithoutTheSlash()
    {
        await using var app = new SampleApp();
        var http = app.CreateRawClient();

        var tokens = await new OAuthFlow(http).GetTokensAsync(TestHttp.McpResource + "/");
        var audience = Assert.Single(new JsonWebTokenHandler().ReadJsonWebToken(tokens.AccessToken).Audiences);
        using var plain = await TestHttp.SendHeadersAsync(http, TestHttp.McpInitialize("/mcp", tokens.AccessToken));
        using var slashed = await TestHttp.SendHeadersAsync(http, TestHttp.McpInitialize("/mcp/", tokens.AccessToken));
        using var challenge = await TestHttp.SendHeadersAsync(http, TestHttp.McpInitialize("/mcp/", null));
        using var metadata = await http.GetAsync("/.well-known/oauth-protected-resource/mcp/");

        Assert.Equal(TestHttp.McpResource, audience);
        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        Assert.Equal(HttpStatusCode.OK, slashed.StatusCode);
        Assert.Equal("http://localhost/.well-known/oauth-protected-resource/mcp", ResourceMetadataUrl(TestHttp.WwwAuthenticate(challenge)));
        Assert.Equal(HttpStatusCode.OK, metadata.StatusCode);
        Assert.Equal(TestHttp.McpResource, (await TestHttp.ReadJsonAsync(metadata)).GetProperty("resource").GetString());
    }

    [Theory]
    [InlineData("http://localhost/MCP")]
    [InlineData("http://localhost/mcp?x=1")]
    [InlineData("https://localhost/mcp")]
    public async Task Resource_WithAnotherPathCaseQueryOrScheme_IsInvalidTarget(string resource)
    {
        await using var app = new SampleApp();
        var http = app.CreateRawClient();
        var flow = new OAuthFlow(http);
        var clientId = await flow.RegisterAsync();

        using var response = await http.GetAsync(flow.AuthorizeUrl(clientId, resource));

        var query = TestHttp.Query(TestHttp.Location(response));
        Assert.Equal("invalid_target", query["error"]);
        Assert.Equal("The resource parameter does not name an MCP endpoint protected by this server.", query["error_description"]);
    }

    // --- clock skew ---

    [Fact]
    public async Task ExpiredAccessToken_IsAcceptedWithinClockSkew_ThenRefusedAsExpired()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = new SampleApp(services: s => s.AddSingleton<TimeProvider>(clock));
        var http = app.CreateRawClient();
        var tokens = await new OAuthFlow(http).GetTokensAsync(TestHttp.McpResource);

        clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(20));
        using var withinSkew = await TestHttp.SendHeadersAsync(http, TestHttp.McpInitialize("/mcp", tokens.AccessToken));
        clock.Advance(TimeSpan.FromSeconds(20));
        using var beyondSkew = await TestHttp.SendHeadersAsync(http, TestHttp.McpInitialize("/mcp", tokens.AccessToken));

        Assert.Equal(HttpStatusCode.OK, withinSkew.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, beyondSkew.StatusCode);
        Assert.Contains("error=\"invalid_token\"", TestHttp.WwwAuthenticate(beyondSkew), StringComparison.Ordinal);
        Assert.Contains("error_description=\"The access token expired\"", TestHttp.WwwAuthenticate(beyondSkew), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClockSkewZero_RefusesTheTokenTheSecondItExpires()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = new SampleApp(configure: o => o.Tokens.ClockSkew = TimeSpan.Zero, services: s => s.AddSingleton<TimeProvider>(clock));
        var http = app.CreateRawClient();
        var tokens = await new OAuthFlow(http).GetTokensAsync(TestHttp.McpResource);

        clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        using var response = await TestHttp.SendHeadersAsync(http, TestHttp.McpInitialize("/mcp", tokens.AccessToken));

        Assert.Contains("error_description=\"The access token expired\"", TestHttp.WwwAuthenticate(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TokenFromAClockAhead_IsAcceptedWithinClockSkew_AndBeyondItIsNotValid()
    {
        // An instance whose clock runs ahead stamps nbf in this one's future.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = new SampleApp(services: s => s.AddSingleton<TimeProvider>(clock));
        var http = app.CreateRawClient();
        var genuine = new JsonWebTokenHandler().ReadJsonWebToken((await new OAuthFlow(http).GetTokensAsync(TestHttp.McpResource)).AccessToken);
        var key = app.Services.GetRequiredService<SigningKeys>().Current;

        using var slightlyAhead = await TestHttp.SendHeadersAsync(http, TestHttp.McpInitialize("/mcp", Restamp(genuine, key, clock.GetUtcNow() + TimeSpan.FromSeconds(20))));
        using var farAhead = await TestHttp.SendHeadersAsync(http, TestHttp.McpInitialize("/mcp", Restamp(genuine, key, clock.GetUtcNow() + TimeSpan.FromMinutes(2))));

        Assert.Equal(HttpStatusCode.OK, slightlyAhead.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, farAhead.StatusCode);
        Assert.Contains("error_description=\"The access token is not valid\"", TestHttp.WwwAuthenticate(farAhead), StringComparison.Ordinal);
    }

    // --- reverse proxies ---

    [Fact]
    public async Task BehindATlsProxy_WithoutForwardedHeaders_TheDerivedIssuerIsHttp()
    {
        await using var app = new SampleApp(kestrel: true);
        using var http = ThroughProxy(app);
        var flow = new OAuthFlow(http);

        var metadata = await TestHttp.ReadJsonAsync(await http.GetAsync("/.well-known/oauth-authorization-server"));
        var prm = await TestHttp.ReadJsonAsync(await http.GetAsync("/.well-known/oauth-protected-resource/mcp"));
        using var authorize = await http.GetAsync(flow.AuthorizeUrl(await flow.RegisterAsync(), $"https://{PublicHost}/mcp"));

        Assert.Equal($"http://{PublicHost}", metadata.GetProperty("issuer").GetString());
        Assert.Equal($"http://{PublicHost}/mcp", prm.GetProperty("resource").GetString());
        // A client asking for the URL it connected to is refused: this server believes it is http.
        Assert.Equal("invalid_target", TestHttp.Query(TestHttp.Location(authorize))["error"]);
    }

    [Fact]
    public async Task BehindATlsProxy_WithForwardedHeaders_MetadataChallengeAndTokensAreHttps_AndTheWholeFlowWorks()
    {
        await using var app = new SampleApp(kestrel: true, services: s => UseForwardedHeaders(s, ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto));
        using var http = ThroughProxy(app);
        var resource = $"https://{PublicHost}/mcp";

        var metadata = await TestHttp.ReadJsonAsync(await http.GetAsync("/.well-known/oauth-authorization-server"));
        var prm = await TestHttp.ReadJsonAsync(await http.GetAsync("/.well-known/oauth-protected-resource/mcp"));
        using var challenge = await TestHttp.SendHeadersAsync(http, TestHttp.McpInitialize("/mcp", null));
        var tokens = await new OAuthFlow(http).GetTokensAsync(resource);
        var jwt = new JsonWebTokenHandler().ReadJsonWebToken(tokens.AccessToken);
        using var mcp = await TestHttp.SendHeadersAsync(http, TestHttp.McpInitialize("/mcp", tokens.AccessToken));
        using var direct = await TestHttp.SendHeadersAsync(app.CreateRawClient(), TestHttp.McpInitialize("/mcp", tokens.AccessToken));

        Assert.Equal($"https://{PublicHost}", metadata.GetProperty("issuer").GetString());
        Assert.Equal($"https://{PublicHost}/oauth/token", metadata.GetProperty("token_endpoint").GetString());
        Assert.Equal(resource, prm.GetProperty("resource").GetString());
        Assert.Equal($"https://{PublicHost}/.well-known/oauth-protected-resource/mcp", ResourceMetadataUrl(TestHttp.WwwAuthenticate(challenge)));
        Assert.Equal($"https://{PublicHost}", jwt.Issuer);
        Assert.Equal([resource], jwt.Audiences);
        Assert.Equal(HttpStatusCode.OK, mcp.StatusCode);
        // Straight to the app, the derived issuer is another: why production sets McpOAuthOptions.Issuer.
        Assert.Contains("error_description=\"The access token was issued by another server\"", TestHttp.WwwAuthenticate(direct), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task BehindATlsProxy_WithAConfiguredHttpsIssuer_TheLoginPageNeedsForwardedHeaders(bool forwardedHeaders)
    {
        await using var app = new SampleApp(
            kestrel: true,
            configure: o => o.Issuer = new Uri($"https://{PublicHost}"),
            services: s =>
            {
                if (forwardedHeaders)
                {
                    UseForwardedHeaders(s, ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto);
                }
            });
        using var http = ThroughProxy(app);

        var metadata = await TestHttp.ReadJsonAsync(await http.GetAsync("/.well-known/oauth-authorization-server"));
        using var login = await http.GetAsync("/oauth/login");

        Assert.Equal($"https://{PublicHost}", metadata.GetProperty("issuer").GetString());
        if (forwardedHeaders)
        {
            Assert.Equal(HttpStatusCode.OK, login.StatusCode);
            return;
        }

        // Without them the app sees http and cannot make the pages' Secure cookies: a page that says why, never a 500.
        Assert.Equal(HttpStatusCode.MisdirectedRequest, login.StatusCode);
        Assert.Equal("DENY", login.Headers.GetValues("X-Frame-Options").Single());
        var page = await login.Content.ReadAsStringAsync();
        Assert.Contains("reached it over plain http", page, StringComparison.Ordinal);
        Assert.Contains("app.UseForwardedHeaders()", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HttpsIssuer_PageRequestOverHttp_Is421WithAPage_WhileTheTokenEndpointStillAnswers()
    {
        // Every page a browser opens is covered, not only the login page; JSON endpoints need no cookie and keep answering.
        await using var app = new SampleApp(configure: o => o.Issuer = new Uri($"https://{PublicHost}"));
        using var http = app.CreateRawClient();

        foreach (var path in new[] { "/oauth/authorize?client_id=x", "/oauth/login", "/oauth/logout", "/oauth/apps" })
        {
            using var page = await http.GetAsync(path);
            Assert.True(page.StatusCode == HttpStatusCode.MisdirectedRequest, $"{path}: {(int)page.StatusCode}");
            Assert.Contains("text/html", page.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
        }

        using var consent = await http.PostAsync("/oauth/consent", new FormUrlEncodedContent(new Dictionary<string, string> { ["decision"] = "allow" }));
        Assert.Equal(HttpStatusCode.MisdirectedRequest, consent.StatusCode);
        using var token = await http.PostAsync("/oauth/token", new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "authorization_code" }));
        await TestHttp.AssertOAuthErrorAsync(token, HttpStatusCode.Unauthorized, "invalid_client");
    }

    [Fact]
    public async Task BehindAProxyServingUnderAPathPrefix_TheForwardedPrefixIsInTheIssuerAndTheResource()
    {
        await using var app = new SampleApp(kestrel: true, services: s => UseForwardedHeaders(s, ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost | ForwardedHeaders.XForwardedPrefix));
        using var http = ThroughProxy(app, prefix: "/tools", forwardedHost: true);
        var root = $"https://{PublicHost}/tools";

        var metadata = await TestHttp.ReadJsonAsync(await http.GetAsync($"{root}/.well-known/oauth-authorization-server"));
        var openId = await TestHttp.ReadJsonAsync(await http.GetAsync($"{root}/.well-known/openid-configuration"));
        var prm = await TestHttp.ReadJsonAsync(await http.GetAsync($"{root}/.well-known/oauth-protected-resource/mcp"));
        using var challenge = await TestHttp.SendHeadersAsync(http, TestHttp.McpInitialize($"{root}/mcp", null));

        Assert.Equal(root, metadata.GetProperty("issuer").GetString());
        Assert.Equal($"{root}/oauth/authorize", metadata.GetProperty("authorization_endpoint").GetString());
        Assert.Equal(root, openId.GetProperty("issuer").GetString());
        Assert.Equal($"{root}/mcp", prm.GetProperty("resource").GetString());
        Assert.Equal([root], prm.GetProperty("authorization_servers").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal($"{root}/.well-known/oauth-protected-resource/mcp", ResourceMetadataUrl(TestHttp.WwwAuthenticate(challenge)));
    }

    [Fact]
    public async Task ForwardedHeadersFromAProxyNotListedInKnownProxies_AreIgnored()
    {
        await using var app = new SampleApp(kestrel: true, services: s => UseForwardedHeaders(s, ForwardedHeaders.XForwardedProto, f =>
        {
            // Only the proxies' own network is trusted; this test's connection comes from 127.0.0.1.
            f.KnownProxies.Clear();
            f.KnownIPNetworks.Clear();
            f.KnownIPNetworks.Add(System.Net.IPNetwork.Parse("10.0.0.0/8"));
        }));
        using var http = ThroughProxy(app);

        var metadata = await TestHttp.ReadJsonAsync(await http.GetAsync("/.well-known/oauth-authorization-server"));

        Assert.Equal($"http://{PublicHost}", metadata.GetProperty("issuer").GetString());
    }

    [Fact]
    public async Task SseStreams_AskProxiesNotToBufferThem()
    {
        await using var app = new SampleApp();
        var http = app.CreateRawClient();
        var sseToken = (await new OAuthFlow(http).GetTokensAsync(TestHttp.SseResource)).AccessToken;
        var mcpToken = (await new OAuthFlow(http).GetTokensAsync(TestHttp.McpResource)).AccessToken;

        using var streamed = await TestHttp.SendHeadersAsync(http, TestHttp.McpInitialize("/mcp", mcpToken));
        var (stream, reader, _) = await McpWire.OpenSseAsync(http, sseToken);
        using (stream)
        using (reader)
        {
            Assert.Equal("text/event-stream", stream.Content.Headers.ContentType?.MediaType);
            Assert.Equal("no", Assert.Single(stream.Headers.GetValues("X-Accel-Buffering")));
            Assert.Equal("text/event-stream", streamed.Content.Headers.ContentType?.MediaType);
            Assert.Equal("no", Assert.Single(streamed.Headers.GetValues("X-Accel-Buffering")));
        }
    }

    // --- storage down, sessions after a restart ---

    [Fact]
    public async Task StorageDown_ABrowserSeesATemporarilyUnavailablePage_AndAnMcpRequestA503_BothWithRetryAfter()
    {
        var storage = new SwitchableStorage();
        await using var app = new SampleApp(services: s => s.AddMcpOAuthStorage(_ => storage));
        var http = app.CreateRawClient();
        var flow = new OAuthFlow(http);
        var tokens = await flow.GetTokensAsync(TestHttp.McpResource);

        storage.Down = true;
        using var request = new HttpRequestMessage(HttpMethod.Get, flow.AuthorizeUrl(tokens.ClientId, TestHttp.McpResource));
        request.Headers.Accept.ParseAdd("text/html");
        using var page = await http.SendAsync(request);
        var html = await page.Content.ReadAsStringAsync();
        // The token is genuine; whether its grant was revoked is in the storage.
        using var mcp = await TestHttp.SendHeadersAsync(http, TestHttp.McpInitialize("/mcp", tokens.AccessToken));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Equal(TimeSpan.FromSeconds(5), page.Headers.RetryAfter?.Delta);
        Assert.Contains("<title>Temporarily unavailable</title>", html, StringComparison.Ordinal);
        Assert.Contains("The server&#x27;s storage is unreachable for the moment. Try again in a few seconds.", html, StringComparison.Ordinal);
        await TestHttp.AssertOAuthErrorAsync(mcp, HttpStatusCode.ServiceUnavailable, "temporarily_unavailable");
        Assert.Equal(TimeSpan.FromSeconds(5), mcp.Headers.RetryAfter?.Delta);
    }

    [Fact]
    public async Task Restart_OldStreamableSessionIs404_TheSameTokenOpensANewSession()
    {
        var database = Path.Combine(_folder, "mcp-oauth.db");
        TokenSet tokens;
        string sessionId;
        await using (var first = new SampleApp(services: s => s.AddMcpOAuthSqlite(database)))
        {
            var http = first.CreateRawClient();
            tokens = await new OAuthFlow(http).GetTokensAsync(TestHttp.McpResource);
            using var init = await McpWire.PostJsonAsync(http, "/mcp", McpWire.Initialize, tokens.AccessToken);
            sessionId = Assert.Single(init.Headers.GetValues("Mcp-Session-Id"));
        }

        await using var restarted = new SampleApp(services: s => s.AddMcpOAuthSqlite(database));
        var again = restarted.CreateRawClient();

        using var old = await McpWire.PostJsonAsync(again, "/mcp", McpWire.ListTools, tokens.AccessToken, sessionId);
        var error = (await TestHttp.ReadJsonAsync(old)).GetProperty("error");
        using var fresh = await McpWire.PostJsonAsync(again, "/mcp", McpWire.Initialize, tokens.AccessToken);

        // The SDK's own answer: the session lived in the old process.
        Assert.Equal(HttpStatusCode.NotFound, old.StatusCode);
        Assert.Equal(-32001, error.GetProperty("code").GetInt32());
        Assert.Equal("Session not found", error.GetProperty("message").GetString());
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        Assert.NotEqual(sessionId, Assert.Single(fresh.Headers.GetValues("Mcp-Session-Id")));
    }

    [Fact]
    public async Task Restart_OldLegacySseSessionIs404_OpenANewStream()
    {
        var database = Path.Combine(_folder, "mcp-oauth.db");
        TokenSet tokens;
        string messagePath;
        await using (var first = new SampleApp(services: s => s.AddMcpOAuthSqlite(database)))
        {
            var http = first.CreateRawClient();
            tokens = await new OAuthFlow(http).GetTokensAsync(TestHttp.SseResource);
            var (stream, reader, path) = await McpWire.OpenSseAsync(http, tokens.AccessToken);
            messagePath = path;
            stream.Dispose();
            reader.Dispose();
        }

        await using var restarted = new SampleApp(services: s => s.AddMcpOAuthSqlite(database));
        var again = restarted.CreateRawClient();

        using var old = await McpWire.PostJsonAsync(again, messagePath, McpWire.ListTools, tokens.AccessToken);
        var error = (await TestHttp.ReadJsonAsync(old)).GetProperty("error");
        var (newStream, newReader, newPath) = await McpWire.OpenSseAsync(again, tokens.AccessToken);
        using (newStream)
        using (newReader)
        {
            Assert.Equal(HttpStatusCode.NotFound, old.StatusCode);
            Assert.Equal("Session not found. Open a new SSE stream.", error.GetProperty("message").GetString());
            Assert.NotEqual(messagePath, newPath);
        }
    }

    // --- helpers ---

    private static string ResourceMetadataUrl(string challenge)
    {
        const string name = "resource_metadata=\"";
        var start = challenge.IndexOf(name, StringComparison.Ordinal);
        Assert.True(start >= 0, "No resource_metadata in: " + challenge);
        start += name.Length;
        return challenge[start..challenge.IndexOf('"', start)];
    }

    /// <summary>The genuine token's claims, signed again with the server's key, valid from <paramref name="notBefore"/>.</summary>
    private static string Restamp(JsonWebToken genuine, SigningCredentials key, DateTimeOffset notBefore)
        => new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = genuine.Issuer,
            Audience = genuine.Audiences.Single(),
            IssuedAt = notBefore.UtcDateTime,
            NotBefore = notBefore.UtcDateTime,
            Expires = notBefore.UtcDateTime.AddHours(1),
            Claims = new Dictionary<string, object>(StringComparer.Ordinal)
            {
                ["sub"] = genuine.Subject,
                ["client_id"] = genuine.GetClaim("client_id").Value,
                ["scope"] = genuine.GetClaim("scope").Value,
                ["jti"] = Guid.NewGuid().ToString("N"),
                ["gid"] = genuine.GetClaim("gid").Value,
            },
            SigningCredentials = new SigningCredentials(key.Key, key.Algorithm),
            TokenType = AccessTokenIssuer.TokenType,
        });

    /// <summary>An HTTP client talking to <c>https://mcp.example.com</c> through <see cref="ReverseProxy"/> in front of <paramref name="app"/>.</summary>
    private static HttpClient ThroughProxy(SampleApp app, string? prefix = null, bool forwardedHost = false)
        => new(new ReverseProxy(app.BaseAddress, prefix, forwardedHost)) { BaseAddress = new Uri($"https://{PublicHost}") };

    /// <summary>As the docs say: forwarded headers first in the pipeline, from the proxies listed (by default loopback).</summary>
    private static void UseForwardedHeaders(IServiceCollection services, ForwardedHeaders headers, Action<ForwardedHeadersOptions>? trust = null)
    {
        services.Configure<ForwardedHeadersOptions>(f =>
        {
            f.ForwardedHeaders = headers;
            f.AllowedHosts = [PublicHost];
            trust?.Invoke(f);
        });
        services.AddTransient<IStartupFilter, ForwardedHeadersFirst>();
    }
}
