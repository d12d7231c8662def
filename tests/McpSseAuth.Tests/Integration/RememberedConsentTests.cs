using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using McpSseAuth.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace McpSseAuth.Tests.Integration;

/// <summary>The sample app with a second scope and a log that the tests can read (event 1209).</summary>
public sealed class RememberedConsentFixture : IAsyncLifetime
{
    public const string ExtraScope = "files:read";

    public CapturedLogs Logs { get; } = new();

    public SampleApp App { get; }

    public RememberedConsentFixture()
    {
        App = new SampleApp(
            configure: o =>
            {
                o.SignIn.MaxFailedAttempts = 1_000;
                o.Scopes.Add(ExtraScope, "Read your files");
                o.RedirectUris.AllowedSchemes.Add("com.example.app");
            },
            services: s => s.AddSingleton<ILoggerProvider>(Logs));
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
/// Consent that remembers: once a user allowed a client, the same request (or one asking for less) gets its code without
/// the page; anything more — a scope, a resource, a redirect URI — asks again. <c>prompt</c> forces or forbids the page.
/// </summary>
public sealed class RememberedConsentTests(RememberedConsentFixture fixture) : IClassFixture<RememberedConsentFixture>
{
    private readonly HttpClient _http = fixture.CreateClient();

    private static Dictionary<string, string?> With(params (string Key, string? Value)[] parameters)
        => parameters.ToDictionary(p => p.Key, p => p.Value);

    /// <summary>Registers a client, and has alice allow it once through login and consent; the browser stays signed in.</summary>
    private async Task<(Browser Browser, OAuthFlow Flow, string ClientId)> AllowedOnceAsync(string? scope = null, string resource = Http.McpResource, string user = "alice", params string[] extraRedirectUris)
    {
        var flow = new OAuthFlow(_http);
        var clientId = extraRedirectUris.Length == 0 ? await flow.RegisterAsync() : await RegisterAsync([OAuthFlow.RedirectUri, .. extraRedirectUris]);
        var browser = new Browser(_http);
        var location = await browser.AuthorizeAsync(flow.AuthorizeUrl(clientId, resource, scope: scope), user, user);
        Assert.True(Http.Query(location).ContainsKey("code"), "The first authorization should end with a code: " + location);
        return (browser, flow, clientId);
    }

    private async Task<string> RegisterAsync(string[] redirectUris)
    {
        var response = await _http.PostAsJsonAsync("/oauth/register", new Dictionary<string, object?>
        {
            ["client_name"] = "Two redirect URIs",
            ["redirect_uris"] = redirectUris,
            ["grant_types"] = new[] { "authorization_code", "refresh_token" },
            ["response_types"] = new[] { "code" },
            ["token_endpoint_auth_method"] = "none",
        });
        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("client_id").GetString()!;
    }

    /// <summary>A consent page: 200, the decision form, never framed or cached.</summary>
    private static async Task AssertConsentPageAsync(HttpResponseMessage response)
    {
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"Expected the consent page, got {(int)response.StatusCode} {response.Headers.Location}: {html}");
        Assert.Contains("name=\"decision\"", html, StringComparison.Ordinal);
        AccountPageSupport.AssertPageHeaders(response);
    }

    /// <summary>A redirect straight back to the client with a code, the request's state and the issuer.</summary>
    private static Dictionary<string, string> AssertCodeRedirect(HttpResponseMessage response, OAuthFlow flow, string redirectUri = OAuthFlow.RedirectUri)
    {
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = Http.Location(response);
        Assert.StartsWith(redirectUri + "?", location.AbsoluteUri, StringComparison.Ordinal);
        var query = Http.Query(location);
        Assert.False(string.IsNullOrEmpty(query["code"]));
        Assert.Equal(flow.State, query["state"]);
        Assert.Equal("http://localhost", query["iss"]);
        Assert.False(query.ContainsKey("error"));
        return query;
    }

    [Fact]
    public async Task TwoConsentPagesOfANewClient_AllowedOneAfterTheOther_AreBothRemembered()
    {
        // Two tabs ask a client the user never allowed for two different scopes: both pages were shown with no consent
        // stored, so the first "allow" stores a first consent and the second finds it there and adds to it.
        var flow = new OAuthFlow(_http);
        var clientId = await flow.RegisterAsync();
        var browser = new Browser(_http);
        var (_, _, tools) = await browser.WalkAsync(flow.AuthorizeUrl(clientId, Http.McpResource, scope: "mcp:tools"), "alice");
        var (_, _, files) = await browser.WalkAsync(flow.AuthorizeUrl(clientId, Http.McpResource, scope: RememberedConsentFixture.ExtraScope), "alice");

        foreach (var page in new[] { tools, files })
        {
            Assert.NotNull(page);
            using var allowed = await browser.SendAsync(page.Value.Action, new FormUrlEncodedContent(page.Value.Fields));
            var code = AssertCodeRedirect(allowed, flow)["code"];
            using var tokens = await flow.RedeemAsync(clientId, code);
            Assert.Equal(HttpStatusCode.OK, tokens.StatusCode);
        }

        var both = new OAuthFlow(_http);
        using var response = await browser.SendAsync(both.AuthorizeUrl(clientId, Http.McpResource, scope: "mcp:tools " + RememberedConsentFixture.ExtraScope));
        AssertCodeRedirect(response, both);
    }

    [Fact]
    public async Task RememberedConsent_SameRequestAgain_GetsACodeAtOnce_ThatRedeems()
    {
        var (browser, _, clientId) = await AllowedOnceAsync();
        var again = new OAuthFlow(_http);

        var response = await browser.SendAsync(again.AuthorizeUrl(clientId, Http.McpResource));

        var query = AssertCodeRedirect(response, again);
        var tokens = await again.RedeemAsync(clientId, query["code"]);
        Assert.Equal(HttpStatusCode.OK, tokens.StatusCode);
        var token = (await Http.ReadJsonAsync(tokens)).GetProperty("access_token").GetString();
        using var mcp = await Http.SendHeadersAsync(_http, Http.McpInitialize("/mcp", token));
        Assert.Equal(HttpStatusCode.OK, mcp.StatusCode);
    }

    [Fact]
    public async Task RememberedConsent_IsLoggedAsEvent1209_WithUserAndClient()
    {
        var (browser, _, clientId) = await AllowedOnceAsync();
        Assert.DoesNotContain(fixture.Logs.Entries, e => e.EventId.Id == 1209 && e.Message.Contains(clientId, StringComparison.Ordinal));

        var again = new OAuthFlow(_http);
        AssertCodeRedirect(await browser.SendAsync(again.AuthorizeUrl(clientId, Http.McpResource)), again);

        var entry = Assert.Single(fixture.Logs.Entries, e => e.EventId.Id == 1209 && e.Message.Contains(clientId, StringComparison.Ordinal));
        Assert.Equal("ConsentRemembered", entry.EventId.Name);
        Assert.Equal(LogLevel.Information, entry.Level);
        Assert.Contains("alice", entry.Message, StringComparison.Ordinal);
        Assert.Contains(Http.McpResource, entry.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RememberedConsent_IsPerClient_AnotherClientAsksAgain()
    {
        var (browser, _, _) = await AllowedOnceAsync();
        var other = new OAuthFlow(_http);
        var otherClient = await other.RegisterAsync();

        await AssertConsentPageAsync(await browser.SendAsync(other.AuthorizeUrl(otherClient, Http.McpResource)));
    }

    [Fact]
    public async Task RememberedConsent_IsPerUser_AnotherUserOfTheSameClientIsAsked()
    {
        var (_, flow, clientId) = await AllowedOnceAsync(user: "alice");

        var bob = await Http.OpenConsentAsync(_http, flow.AuthorizeUrl(clientId, Http.McpResource), "bob");

        AccountPageSupport.AssertPageHeaders(bob.Response);
        Assert.Contains("name=\"decision\"", bob.Html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RememberedConsent_LoopbackRedirectUriOnAnotherPort_AsksAgain_ThenIsRememberedToo()
    {
        // RFC 8252 §8.6: a public client's identity cannot be proven; another port may be another program.
        var (browser, _, clientId) = await AllowedOnceAsync();
        var again = new OAuthFlow(_http);
        const string otherPort = "http://127.0.0.1:54321/callback";

        var page = await browser.SendAsync(again.AuthorizeUrl(clientId, Http.McpResource, redirectUri: otherPort));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("name=\"decision\"", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await browser.AuthorizeAsync(again.AuthorizeUrl(clientId, Http.McpResource, redirectUri: otherPort), "alice", "alice");

        var third = new OAuthFlow(_http);
        var response = await browser.SendAsync(third.AuthorizeUrl(clientId, Http.McpResource, redirectUri: otherPort));
        var query = AssertCodeRedirect(response, third, otherPort);
        Assert.Equal(HttpStatusCode.OK, (await third.RedeemAsync(clientId, query["code"], redirectUri: otherPort)).StatusCode);
    }

    [Fact]
    public async Task RememberedConsent_PrivateUseSchemeRedirect_IsAskedEveryTime()
    {
        // RFC 8252 §8.6: any app on the device may claim a private-use scheme, so the redirect proves nothing.
        const string app = "com.example.app:/callback";
        var flow = new OAuthFlow(_http);
        var clientId = await RegisterAsync([app]);
        var browser = new Browser(_http);
        var first = await browser.AuthorizeAsync(flow.AuthorizeUrl(clientId, Http.McpResource, redirectUri: app), "alice", "alice");
        Assert.True(Http.Query(first).ContainsKey("code"), first.ToString());

        var again = await browser.SendAsync(new OAuthFlow(_http).AuthorizeUrl(clientId, Http.McpResource, redirectUri: app));

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Contains("name=\"decision\"", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PromptLogin_SignedIn_AsksToSignInAgain_ThenContinuesWithoutLooping()
    {
        var (browser, _, clientId) = await AllowedOnceAsync();
        var again = new OAuthFlow(_http);

        var response = await browser.SendAsync(again.AuthorizeUrl(clientId, Http.McpResource, overrides: With(("prompt", "login"))));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var login = response.Headers.Location!.OriginalString;
        Assert.StartsWith("http://localhost/oauth/login?", login, StringComparison.Ordinal);
        var returnUrl = Uri.UnescapeDataString(login[(login.IndexOf("ReturnUrl=", StringComparison.Ordinal) + "ReturnUrl=".Length)..]);
        Assert.DoesNotContain("prompt", returnUrl, StringComparison.Ordinal);
        // A GET signs nobody out (no page may log users out); the new sign-in replaces the cookie.
        Assert.False(response.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith("mcp-oauth=;", StringComparison.Ordinal)));
        // Signing in again leads to a code (the consent is still remembered), not to another login.
        var location = await browser.AuthorizeAsync(again.AuthorizeUrl(clientId, Http.McpResource, overrides: With(("prompt", "login"))), "alice", "alice");
        Assert.True(Http.Query(location).ContainsKey("code"), location.ToString());
    }

    [Fact]
    public async Task RememberedConsent_AnotherRedirectUri_AsksAgain_ThenIsRememberedToo()
    {
        const string other = "http://127.0.0.1:7777/other-callback";
        var (browser, _, clientId) = await AllowedOnceAsync(extraRedirectUris: other);
        var again = new OAuthFlow(_http);

        await AssertConsentPageAsync(await browser.SendAsync(again.AuthorizeUrl(clientId, Http.McpResource, redirectUri: other)));
        var allowed = await browser.AuthorizeAsync(again.AuthorizeUrl(clientId, Http.McpResource, redirectUri: other), "alice", "alice");
        Assert.StartsWith(other + "?", allowed.AbsoluteUri, StringComparison.Ordinal);

        var third = new OAuthFlow(_http);
        AssertCodeRedirect(await browser.SendAsync(third.AuthorizeUrl(clientId, Http.McpResource, redirectUri: other)), third, other);
        AssertCodeRedirect(await browser.SendAsync(third.AuthorizeUrl(clientId, Http.McpResource)), third);
    }

    [Fact]
    public async Task RememberedConsent_MoreScopes_AsksAgain_NamingTheNewScope()
    {
        var (browser, _, clientId) = await AllowedOnceAsync(scope: "mcp:tools");
        var again = new OAuthFlow(_http);

        var response = await browser.SendAsync(again.AuthorizeUrl(clientId, Http.McpResource, scope: "mcp:tools " + RememberedConsentFixture.ExtraScope));

        await AssertConsentPageAsync(response);
        Assert.Contains("Read your files", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RememberedConsent_FewerScopes_IsCovered()
    {
        var (browser, _, clientId) = await AllowedOnceAsync(scope: "mcp:tools " + RememberedConsentFixture.ExtraScope);
        var again = new OAuthFlow(_http);

        var query = AssertCodeRedirect(await browser.SendAsync(again.AuthorizeUrl(clientId, Http.McpResource, scope: RememberedConsentFixture.ExtraScope)), again);

        var tokens = await Http.ReadJsonAsync(await again.RedeemAsync(clientId, query["code"]));
        Assert.Equal(RememberedConsentFixture.ExtraScope, tokens.GetProperty("scope").GetString());
    }

    [Fact]
    public async Task RememberedConsent_AfterAllowingMore_CoversTheUnionOfBoth()
    {
        var (browser, _, clientId) = await AllowedOnceAsync(scope: "mcp:tools");
        var wider = new OAuthFlow(_http);
        await browser.AuthorizeAsync(wider.AuthorizeUrl(clientId, Http.McpResource, scope: RememberedConsentFixture.ExtraScope), "alice", "alice");

        var both = new OAuthFlow(_http);

        AssertCodeRedirect(await browser.SendAsync(both.AuthorizeUrl(clientId, Http.McpResource, scope: "mcp:tools " + RememberedConsentFixture.ExtraScope)), both);
    }

    [Fact]
    public async Task RememberedConsent_AnotherResource_AsksAgain()
    {
        var (browser, _, clientId) = await AllowedOnceAsync(resource: Http.McpResource);
        var again = new OAuthFlow(_http);

        await AssertConsentPageAsync(await browser.SendAsync(again.AuthorizeUrl(clientId, Http.SseResource)));
    }

    [Fact]
    public async Task RememberedConsent_ForEveryResource_CoversOneOfThem()
    {
        // No resource parameter: the grant covers every protected resource, so a request for one of them asks nothing new.
        var flow = new OAuthFlow(_http);
        var clientId = await flow.RegisterAsync();
        var browser = new Browser(_http);
        await browser.AuthorizeAsync(flow.AuthorizeUrl(clientId, Http.McpResource, overrides: With(("resource", null))), "alice", "alice");
        var again = new OAuthFlow(_http);

        AssertCodeRedirect(await browser.SendAsync(again.AuthorizeUrl(clientId, Http.SseResource)), again);
    }

    [Fact]
    public async Task RememberedConsent_PromptConsent_ShowsThePageAnyway()
    {
        var (browser, _, clientId) = await AllowedOnceAsync();
        var again = new OAuthFlow(_http);

        await AssertConsentPageAsync(await browser.SendAsync(again.AuthorizeUrl(clientId, Http.McpResource, overrides: With(("prompt", "consent")))));
    }

    [Fact]
    public async Task Deny_IsNotRemembered_TheNextRequestAsksAgain()
    {
        var flow = new OAuthFlow(_http);
        var clientId = await flow.RegisterAsync();
        var browser = new Browser(_http);
        var denied = Http.Query(await browser.AuthorizeAsync(flow.AuthorizeUrl(clientId, Http.McpResource), "alice", "alice", decision: "deny"));
        Assert.Equal("access_denied", denied["error"]);

        await AssertConsentPageAsync(await browser.SendAsync(new OAuthFlow(_http).AuthorizeUrl(clientId, Http.McpResource)));
    }

    [Fact]
    public async Task Deny_AfterAnEarlierAllow_KeepsTheEarlierConsent()
    {
        // Denying a wider request leaves what was allowed before as it was; it neither widens nor forgets it.
        var (browser, _, clientId) = await AllowedOnceAsync(scope: "mcp:tools");
        var wider = new OAuthFlow(_http);
        var denied = Http.Query(await browser.AuthorizeAsync(wider.AuthorizeUrl(clientId, Http.McpResource, scope: "mcp:tools " + RememberedConsentFixture.ExtraScope), "alice", "alice", decision: "deny"));
        Assert.Equal("access_denied", denied["error"]);

        var same = new OAuthFlow(_http);
        AssertCodeRedirect(await browser.SendAsync(same.AuthorizeUrl(clientId, Http.McpResource, scope: "mcp:tools")), same);
        await AssertConsentPageAsync(await browser.SendAsync(same.AuthorizeUrl(clientId, Http.McpResource, scope: "mcp:tools " + RememberedConsentFixture.ExtraScope)));
    }

    [Fact]
    public async Task PromptNone_NotSignedIn_IsLoginRequired_RedirectedWithStateAndIss()
    {
        var flow = new OAuthFlow(_http);
        var clientId = await flow.RegisterAsync();

        var response = await _http.GetAsync(flow.AuthorizeUrl(clientId, Http.McpResource, overrides: With(("prompt", "none"))));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = Http.Location(response);
        Assert.StartsWith(OAuthFlow.RedirectUri + "?", location.AbsoluteUri, StringComparison.Ordinal);
        var query = Http.Query(location);
        Assert.Equal("login_required", query["error"]);
        Assert.Equal(flow.State, query["state"]);
        Assert.Equal("http://localhost", query["iss"]);
        Assert.False(query.ContainsKey("code"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task PromptNone_HttpsRedirectUri_ShowsTheErrorAsAPage_NeverRedirectsUnattended(bool signedIn)
    {
        // RFC 9700 §4.11.2: anyone can register https://evil.example; a silent error redirect there would be an open redirector.
        const string https = "https://app.example/callback";
        var flow = new OAuthFlow(_http);
        var clientId = await RegisterAsync([https]);
        var browser = new Browser(_http);
        if (signedIn)
        {
            var other = new OAuthFlow(_http);
            await browser.AuthorizeAsync(other.AuthorizeUrl(await other.RegisterAsync(), Http.McpResource), "alice", "alice");
        }

        var response = await browser.SendAsync(flow.AuthorizeUrl(clientId, Http.McpResource, redirectUri: https, overrides: With(("prompt", "none"))));

        Assert.Null(response.Headers.Location);
        var html = await Http.AssertErrorPageAsync(response);
        Assert.Contains(signedIn ? "consent_required" : "login_required", html, StringComparison.Ordinal);
        Assert.Contains("href=\"https://app.example/callback?error=", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PromptNone_SignedInWithoutRememberedConsent_IsConsentRequired()
    {
        var (browser, _, _) = await AllowedOnceAsync();
        var other = new OAuthFlow(_http);
        var otherClient = await other.RegisterAsync();

        var response = await browser.SendAsync(other.AuthorizeUrl(otherClient, Http.McpResource, overrides: With(("prompt", "none"))));

        var query = Http.Query(Http.Location(response));
        Assert.Equal("consent_required", query["error"]);
        Assert.Equal(other.State, query["state"]);
        Assert.Equal("http://localhost", query["iss"]);
        Assert.False(query.ContainsKey("code"));
    }

    [Fact]
    public async Task PromptNone_SignedInAskingForMore_IsConsentRequired()
    {
        var (browser, _, clientId) = await AllowedOnceAsync(scope: "mcp:tools");
        var wider = new OAuthFlow(_http);

        var response = await browser.SendAsync(wider.AuthorizeUrl(clientId, Http.McpResource, scope: "mcp:tools " + RememberedConsentFixture.ExtraScope, overrides: With(("prompt", "none"))));

        Assert.Equal("consent_required", Http.Query(Http.Location(response))["error"]);
    }

    [Fact]
    public async Task PromptNone_WithRememberedConsent_GetsTheCode()
    {
        var (browser, _, clientId) = await AllowedOnceAsync();
        var again = new OAuthFlow(_http);

        var query = AssertCodeRedirect(await browser.SendAsync(again.AuthorizeUrl(clientId, Http.McpResource, overrides: With(("prompt", "none")))), again);

        Assert.Equal(HttpStatusCode.OK, (await again.RedeemAsync(clientId, query["code"])).StatusCode);
    }

    [Theory]
    [InlineData("none login")]
    [InlineData("consent none")]
    public async Task PromptNone_CombinedWithAnotherValue_IsInvalidRequest(string prompt)
    {
        var (browser, _, clientId) = await AllowedOnceAsync();
        var again = new OAuthFlow(_http);

        var response = await browser.SendAsync(again.AuthorizeUrl(clientId, Http.McpResource, overrides: With(("prompt", prompt))));

        var query = Http.Query(Http.Location(response));
        Assert.Equal("invalid_request", query["error"]);
        Assert.Equal(again.State, query["state"]);
        Assert.False(query.ContainsKey("code"));
    }

    [Fact]
    public async Task RememberedConsent_CodeIsSingleUse_LikeAnyOther()
    {
        var (browser, _, clientId) = await AllowedOnceAsync();
        var again = new OAuthFlow(_http);
        var code = AssertCodeRedirect(await browser.SendAsync(again.AuthorizeUrl(clientId, Http.McpResource)), again)["code"];
        Assert.Equal(HttpStatusCode.OK, (await again.RedeemAsync(clientId, code)).StatusCode);

        await Http.AssertOAuthErrorAsync(await again.RedeemAsync(clientId, code), HttpStatusCode.BadRequest, "invalid_grant");
    }

    [Fact]
    public async Task RememberedConsent_CodeIsBoundToTheNewRequestsPkceChallenge()
    {
        var (browser, first, clientId) = await AllowedOnceAsync();
        var again = new OAuthFlow(_http);
        var code = AssertCodeRedirect(await browser.SendAsync(again.AuthorizeUrl(clientId, Http.McpResource)), again)["code"];

        // The verifier of the first flow does not fit the second request's challenge.
        await Http.AssertOAuthErrorAsync(await again.RedeemAsync(clientId, code, verifier: first.Verifier), HttpStatusCode.BadRequest, "invalid_grant");
    }
}

/// <summary>Keeps every log entry of the app, for tests that check event ids.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<LogEntry> _entries = new();

    public IReadOnlyList<LogEntry> Entries => [.. _entries];

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _entries);

    public void Dispose()
    {
    }

    public sealed record LogEntry(string Category, LogLevel Level, EventId EventId, string Message);

    private sealed class Logger(string category, System.Collections.Concurrent.ConcurrentQueue<LogEntry> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => entries.Enqueue(new LogEntry(category, logLevel, eventId, formatter(state, exception)));
    }
}
