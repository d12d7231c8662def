using System.Buffers.Text;
using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using McpSseAuth.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace McpSseAuth.Tests.EndToEnd;

/// <summary>
/// The whole upstream path on real Kestrel with a real OpenID Connect provider (oidc-provider on loopback): the C# SDK
/// client → McpSseAuth → the provider's login form → back → consent → token → tools, with the sample server switched to
/// upstream sign-in by configuration keys alone.
/// </summary>
public sealed class UpstreamSignInTests(OidcProviderFixture fixture) : IClassFixture<OidcProviderFixture>, IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _disposables = [];

    private OidcProvider Provider => fixture.Provider;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var disposable in Enumerable.Reverse(_disposables))
        {
            await disposable.DisposeAsync();
        }
    }

    [Theory]
    [InlineData("/mcp", HttpTransportMode.StreamableHttp)]
    [InlineData("/sse", HttpTransportMode.Sse)]
    public async Task SdkClient_SignsInThroughTheProvider_AndToolsSeeTheUpstreamUser(string path, HttpTransportMode mode)
    {
        var app = Start(UpstreamApp.SettingsFor(Provider));
        using var browser = new UpstreamBrowser(app.BaseAddress, Provider) { Login = "alice@example.com" };
        var log = new AuthorizationLog();

        await using var client = await UpstreamClients.ConnectAsync(new Uri(app.BaseAddress, path), mode, browser, log: log);

        // No local users and one scheme: /oauth/authorize went straight to the provider; the user signed in there,
        // came back through the scheme's callback and ours, and allowed the client on the consent page.
        var (authorizationUri, redirect) = Assert.Single(log.Flows);
        var first = browser.Visits[0];
        Assert.Equal(authorizationUri, first.Url);
        Assert.StartsWith(Provider.Issuer + "/auth?", first.Location!.ToString(), StringComparison.Ordinal);
        Assert.Contains(browser.Visits, v => v.Method == HttpMethod.Post && v.Url.AbsolutePath.EndsWith("/login", StringComparison.Ordinal) && v.Url.AbsolutePath.StartsWith("/interaction/", StringComparison.Ordinal));
        Assert.Contains(browser.ServerVisits, v => v.Url.AbsolutePath == "/signin-upstream" && v.Location?.AbsolutePath == "/oauth/login/callback");
        Assert.Equal(1, browser.ConsentPagesSeen);
        Assert.DoesNotContain(browser.ServerVisits, v => (int)v.Status >= 500);
        Assert.True(browser.HasCookie("mcp-oauth"));
        Assert.False(browser.HasCookie("mcp-oauth-external"));   // the upstream answer was read once and deleted
        Assert.NotNull(redirect);

        var whoami = await CallAsync(client, "whoami");
        Assert.StartsWith("user=Alice Example; sub=ext:", whoami, StringComparison.Ordinal);
        Assert.Contains("scope=mcp:tools", whoami, StringComparison.Ordinal);
        Assert.Equal(ExpectedSubject(Provider, "alice@example.com"), SubOf(whoami));

        using var userinfo = JsonDocument.Parse(await CallAsync(client, "upstream_userinfo"));
        Assert.Equal("alice@example.com", userinfo.RootElement.GetProperty("email").GetString());
        Assert.Equal(UpstreamSubject("alice@example.com"), userinfo.RootElement.GetProperty("sub").GetString());
    }

    [Fact]
    public async Task AccessRules_UserOutsideAllowedDomain_IsRefusedWithReason_NothingSignedIn_ClientGetsAccessDenied()
    {
        var app = Start(UpstreamApp.SettingsFor(Provider, ("McpOAuth:SignIn:AccessRules:AllowedEmailDomains:0", "example.com")));
        using var browser = new UpstreamBrowser(app.BaseAddress, Provider) { Login = "eve@other.com" };
        var log = new AuthorizationLog();

        var error = await Assert.ThrowsAnyAsync<Exception>(() => UpstreamClients.ConnectAsync(new Uri(app.BaseAddress, "/mcp"), HttpTransportMode.StreamableHttp, browser, log: log));
        Assert.Contains("authorization error: access_denied", error.ToString(), StringComparison.Ordinal);

        // The user signed in at the provider, and our callback refused: a 403 page that says why.
        var refused = Assert.Single(browser.ServerVisits, v => v.Status == HttpStatusCode.Forbidden);
        Assert.Equal("/oauth/login/callback", refused.Url.AbsolutePath);
        Assert.Contains("Access denied", refused.Body, StringComparison.Ordinal);
        Assert.Contains("The account eve@other.com is not allowed to use this server.", refused.Body, StringComparison.Ordinal);
        Assert.Equal(0, browser.ConsentPagesSeen);

        // Nothing signed in: no sign-in cookie was ever set, the upstream answer is deleted, and no upstream token was kept.
        Assert.False(browser.HasCookie("mcp-oauth"));
        Assert.False(browser.HasCookie("mcp-oauth-external"));
        Assert.DoesNotContain(browser.ServerVisits.SelectMany(v => v.SetCookies), c => c.StartsWith("mcp-oauth=", StringComparison.Ordinal));
        Assert.Null(await UpstreamAccessTokenAsync(app, ExpectedSubject(Provider, "eve@other.com")));

        // The page's link takes access_denied, with the client's own state and our issuer, to the client's redirect URI.
        var (authorizationUri, redirect) = Assert.Single(log.Flows);
        Assert.NotNull(redirect);
        Assert.Contains(UpstreamBrowser.Links(refused.Body), l => l == redirect);
        Assert.Equal(UpstreamClients.RedirectUri.GetLeftPart(UriPartial.Path), redirect.GetLeftPart(UriPartial.Path));
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(redirect.Query);
        Assert.Equal("access_denied", query["error"].ToString());
        Assert.Equal(Query(authorizationUri, "state"), query["state"].ToString());
        Assert.False(string.IsNullOrEmpty(query["state"].ToString()));
        Assert.Equal(await IssuerAsync(app), query["iss"].ToString());
        Assert.False(query.ContainsKey("code"));

        AssertRefusalLogged(app, "eve@other.com", "is not allowed to use this server");
    }

    [Fact]
    public async Task AccessRules_UnverifiedEmail_IsRefusedWithTheVerificationReason()
    {
        var app = Start(UpstreamApp.SettingsFor(Provider, ("McpOAuth:SignIn:AccessRules:AllowedEmailDomains:0", "example.com")));
        using var browser = new UpstreamBrowser(app.BaseAddress, Provider) { Login = "unverified-carol@example.com" };

        var error = await Assert.ThrowsAnyAsync<Exception>(() => UpstreamClients.ConnectAsync(new Uri(app.BaseAddress, "/mcp"), HttpTransportMode.StreamableHttp, browser));
        Assert.Contains("authorization error: access_denied", error.ToString(), StringComparison.Ordinal);

        var refused = Assert.Single(browser.ServerVisits, v => v.Status == HttpStatusCode.Forbidden);
        Assert.Contains("has not verified the e-mail address unverified-carol@example.com", refused.Body, StringComparison.Ordinal);
        Assert.False(browser.HasCookie("mcp-oauth"));
        AssertRefusalLogged(app, "unverified-carol@example.com", "has not verified the e-mail address");
    }

    [Theory]
    [InlineData("AllowedEmailDomains", "example.com", "alice@example.com")]
    [InlineData("AllowedHostedDomains", "example.com", "unverified-carol@example.com")]   // hd vouches for the account; e-mail verification is not needed
    [InlineData("AllowedUsers", "dave@example.org", "dave@example.org")]
    [InlineData("AllowedUsers", "{issuer}|{sub}", "eve@other.com")]
    public async Task AccessRules_ConfiguredByKeys_LetTheMatchingUserIn(string rule, string value, string login)
    {
        value = value.Replace("{issuer}", Provider.Issuer, StringComparison.Ordinal).Replace("{sub}", UpstreamSubject(login), StringComparison.Ordinal);
        // The test provider is not Google: trust its hd by configuration, as an operator would for a provider that signs it.
        var app = Start(UpstreamApp.SettingsFor(Provider, ($"McpOAuth:SignIn:AccessRules:{rule}:0", value), ("McpOAuth:SignIn:AccessRules:HostedDomainIssuers:0", Provider.Issuer)));
        using var browser = new UpstreamBrowser(app.BaseAddress, Provider) { Login = login };

        await using var client = await UpstreamClients.ConnectAsync(new Uri(app.BaseAddress, "/mcp"), HttpTransportMode.StreamableHttp, browser);

        Assert.Equal(ExpectedSubject(Provider, login), SubOf(await CallAsync(client, "whoami")));
        Assert.Empty(app.Logs.WithEventId(1206));

        // The same rule keeps out someone who does not match it.
        using var other = new UpstreamBrowser(app.BaseAddress, Provider) { Login = "mallory@elsewhere.test" };
        var error = await Assert.ThrowsAnyAsync<Exception>(() => UpstreamClients.ConnectAsync(new Uri(app.BaseAddress, "/mcp"), HttpTransportMode.StreamableHttp, other));
        Assert.Contains("authorization error: access_denied", error.ToString(), StringComparison.Ordinal);
        Assert.Single(app.Logs.WithEventId(1206));
    }

    [Fact]
    public async Task AccessRules_RequiredGroup_RefusesBob_AndLetsAliceIn()
    {
        var app = Start(UpstreamApp.SettingsFor(
            Provider,
            ("McpOAuth:SignIn:AccessRules:RequiredGroups:0", "mcp-users"),
            ("Upstream:Scopes:0", "openid"),
            ("Upstream:Scopes:1", "profile"),
            ("Upstream:Scopes:2", "email"),
            ("Upstream:Scopes:3", "groups"),
            ("Upstream:Scopes:4", "offline_access")));

        using (var bob = new UpstreamBrowser(app.BaseAddress, Provider) { Login = "bob@example.com" })
        {
            var error = await Assert.ThrowsAnyAsync<Exception>(() => UpstreamClients.ConnectAsync(new Uri(app.BaseAddress, "/mcp"), HttpTransportMode.StreamableHttp, bob));
            Assert.Contains("authorization error: access_denied", error.ToString(), StringComparison.Ordinal);
            var refused = Assert.Single(bob.ServerVisits, v => v.Status == HttpStatusCode.Forbidden);
            Assert.Contains("not in a group that may use this server", refused.Body, StringComparison.Ordinal);
            Assert.False(bob.HasCookie("mcp-oauth"));
        }

        AssertRefusalLogged(app, "bob@example.com", "not in a group");

        using var alice = new UpstreamBrowser(app.BaseAddress, Provider) { Login = "alice@example.com" };
        await using var client = await UpstreamClients.ConnectAsync(new Uri(app.BaseAddress, "/mcp"), HttpTransportMode.StreamableHttp, alice);
        Assert.Equal(ExpectedSubject(Provider, "alice@example.com"), SubOf(await CallAsync(client, "whoami")));
        Assert.Single(app.Logs.WithEventId(1206));   // only bob's refusal
    }

    [Fact]
    public async Task UpstreamToken_AfterItExpires_IsRefreshed_AndToolsKeepWorking()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var app = Start(UpstreamApp.SettingsFor(Provider, ("McpOAuth:Tokens:AccessTokenLifetime", "1.00:00:00")), s => s.AddSingleton<TimeProvider>(time));
        using var browser = new UpstreamBrowser(app.BaseAddress, Provider);
        var log = new AuthorizationLog();
        await using var client = await UpstreamClients.ConnectAsync(new Uri(app.BaseAddress, "/mcp"), HttpTransportMode.StreamableHttp, browser, log: log);
        var subject = SubOf(await CallAsync(client, "whoami"));

        using (var userinfo = JsonDocument.Parse(await CallAsync(client, "upstream_userinfo")))
        {
            Assert.Equal("alice@example.com", userinfo.RootElement.GetProperty("email").GetString());
        }

        var before = await UpstreamAccessTokenAsync(app, subject);
        Assert.Equal(Assert.Single(app.SignInTokens.Sets).AccessToken, before);
        Assert.Empty(app.Logs.WithEventId(1501));

        time.Advance(TimeSpan.FromHours(2));   // the provider's access tokens last 3600 s; the MCP token a day

        using (var userinfo = JsonDocument.Parse(await CallAsync(client, "upstream_userinfo")))
        {
            Assert.Equal("alice@example.com", userinfo.RootElement.GetProperty("email").GetString());
        }

        var after = await UpstreamAccessTokenAsync(app, subject);
        Assert.NotNull(after);
        Assert.NotEqual(before, after);
        var refreshed = Assert.Single(app.Logs.WithEventId(1501));
        Assert.Equal(subject, refreshed.Values["Subject"]);
        Assert.Equal("upstream", refreshed.Values["Scheme"]);

        // Again: the provider rotates refresh tokens, so this works only if the rotated one was kept.
        time.Advance(TimeSpan.FromHours(2));
        Assert.Contains("alice@example.com", await CallAsync(client, "upstream_userinfo"), StringComparison.Ordinal);
        var third = await UpstreamAccessTokenAsync(app, subject);
        Assert.Equal(3, new HashSet<string?> { before, after, third }.Count);
        Assert.Equal(2, app.Logs.WithEventId(1501).Count);
        Assert.Empty(app.Logs.WithEventId(1502));

        Assert.Single(log.Flows);   // no new sign-in
        AssertNoTokensIn(app.Logs.Entries.Select(e => e.Message), [before!, after, third!, .. app.SignInTokens.AllValues]);
    }

    [Fact]
    public async Task UpstreamToken_ConcurrentToolCallsAfterExpiry_RefreshItOnce()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var app = Start(UpstreamApp.SettingsFor(Provider, ("McpOAuth:Tokens:AccessTokenLifetime", "1.00:00:00")), s => s.AddSingleton<TimeProvider>(time));
        using var browser = new UpstreamBrowser(app.BaseAddress, Provider);
        await using var client = await UpstreamClients.ConnectAsync(new Uri(app.BaseAddress, "/mcp"), HttpTransportMode.StreamableHttp, browser);
        Assert.StartsWith("user=Alice Example;", await CallAsync(client, "whoami"), StringComparison.Ordinal);

        time.Advance(TimeSpan.FromHours(2));

        // The provider rotates refresh tokens and refuses a spent one (invalid_grant): two refreshes at once would sign the user out.
        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => CallAsync(client, "upstream_userinfo")));
        Assert.All(results, r => Assert.Contains("\"email\":\"alice@example.com\"", r, StringComparison.Ordinal));
        Assert.Single(app.Logs.WithEventId(1501));
        Assert.Empty(app.Logs.WithEventId(1502));
    }

    [Fact]
    public async Task UpstreamToken_WhenTheProviderRefusesTheRefresh_IsNull_TheToolSaysSignInAgain_AndTheUserLosesAccessHere()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var app = Start(UpstreamApp.SettingsFor(Provider, ("McpOAuth:Tokens:AccessTokenLifetime", "1.00:00:00")), s => s.AddSingleton<TimeProvider>(time));
        using var browser = new UpstreamBrowser(app.BaseAddress, Provider);
        await using var client = await UpstreamClients.ConnectAsync(new Uri(app.BaseAddress, "/mcp"), HttpTransportMode.StreamableHttp, browser);
        var subject = SubOf(await CallAsync(client, "whoami"));
        Assert.NotNull(await UpstreamAccessTokenAsync(app, subject));

        // The user (or an administrator) revokes the grant at the provider.
        await RevokeAsync(Provider, Assert.Single(app.SignInTokens.Sets).RefreshToken!);
        time.Advance(TimeSpan.FromHours(2));

        var answer = await CallAsync(client, "upstream_userinfo");
        Assert.StartsWith("No upstream access token:", answer, StringComparison.Ordinal);
        Assert.Contains("sign in again", answer, StringComparison.Ordinal);
        Assert.Null(await UpstreamAccessTokenAsync(app, subject));
        var failed = Assert.Single(app.Logs.WithEventId(1502));   // refused once; the spent token was then forgotten
        Assert.Contains("invalid_grant", failed.Message, StringComparison.Ordinal);
        Assert.Empty(app.Logs.WithEventId(1501));

        // The provider no longer vouches for the user: everything they hold here ends until they sign in through it again.
        var ended = Assert.Single(app.Logs.WithEventId(1214));
        Assert.Equal(subject, ended.Values["Subject"]);
        Assert.Empty(await app.Services.GetRequiredService<IMcpUserAccess>().ListGrantsAsync(subject));
    }

    [Fact]
    public async Task UpstreamToken_WhenTheProviderIsUnreachable_IsNull_AndTheToolSaysSignInAgain()
    {
        var provider = await OidcProvider.StartAsync();
        var stopped = false;
        try
        {
            var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
            var app = Start(UpstreamApp.SettingsFor(provider, ("McpOAuth:Tokens:AccessTokenLifetime", "1.00:00:00")), s => s.AddSingleton<TimeProvider>(time));
            using var browser = new UpstreamBrowser(app.BaseAddress, provider);
            await using var client = await UpstreamClients.ConnectAsync(new Uri(app.BaseAddress, "/mcp"), HttpTransportMode.StreamableHttp, browser);
            var subject = SubOf(await CallAsync(client, "whoami"));

            await provider.DisposeAsync();
            stopped = true;
            time.Advance(TimeSpan.FromHours(2));

            Assert.StartsWith("No upstream access token:", await CallAsync(client, "upstream_userinfo"), StringComparison.Ordinal);
            Assert.Null(await UpstreamAccessTokenAsync(app, subject));
            Assert.NotEmpty(app.Logs.WithEventId(1502));
            Assert.Empty(app.Logs.WithEventId(1501));
        }
        finally
        {
            if (!stopped)
            {
                await provider.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task CancelAtTheProvider_ReturnsToOurLoginPage_WithAMessage_AndSigningInAgainWorks()
    {
        var app = Start(UpstreamApp.SettingsFor(Provider));
        using var browser = new UpstreamBrowser(app.BaseAddress, Provider) { CancelAtProvider = true };
        var log = new AuthorizationLog();

        await Assert.ThrowsAnyAsync<Exception>(() => UpstreamClients.ConnectAsync(new Uri(app.BaseAddress, "/mcp"), HttpTransportMode.StreamableHttp, browser, log: log));

        Assert.Contains(browser.ProviderVisits, v => v.Method == HttpMethod.Post && v.Url.AbsolutePath.EndsWith("/abort", StringComparison.Ordinal));
        Assert.Contains(browser.ServerVisits, v => v.Url.AbsolutePath == "/signin-upstream");
        Assert.DoesNotContain(browser.ServerVisits, v => (int)v.Status >= 500);
        var page = browser.LastPage!;
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Equal("/oauth/login", page.Url.AbsolutePath);
        Assert.Contains("Signing in with the identity provider did not complete", page.Body, StringComparison.Ordinal);
        Assert.False(browser.HasCookie("mcp-oauth"));
        Assert.NotEmpty(app.Logs.WithEventId(1208));

        // The page offers the provider again, for the same authorization request; following it reaches the provider.
        var (authorizationUri, redirect) = Assert.Single(log.Flows);
        Assert.Null(redirect);
        var again = Assert.Single(UpstreamBrowser.Links(page.Body, page.Url), l => l.Query.Contains("provider=upstream", StringComparison.Ordinal));
        Assert.Equal(authorizationUri.PathAndQuery, Query(again, "ReturnUrl"));
        var toProvider = await browser.SendAsync(again);
        Assert.StartsWith(Provider.Issuer + "/auth?", toProvider.Location!.ToString(), StringComparison.Ordinal);

        // A new attempt signs in.
        await using var client = await UpstreamClients.ConnectAsync(new Uri(app.BaseAddress, "/mcp"), HttpTransportMode.StreamableHttp, browser);
        Assert.StartsWith("user=Alice Example;", await CallAsync(client, "whoami"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReplayingTheProvidersAnswer_SignsNobodyIn_AndEndsOnTheLoginPage()
    {
        var app = Start(UpstreamApp.SettingsFor(Provider));
        using var browser = new UpstreamBrowser(app.BaseAddress, Provider);
        await using (await UpstreamClients.ConnectAsync(new Uri(app.BaseAddress, "/mcp"), HttpTransportMode.StreamableHttp, browser))
        {
        }

        var answer = Assert.Single(browser.ServerVisits, v => v.Method == HttpMethod.Post && v.Url.AbsolutePath == "/signin-upstream");
        Assert.Contains("code=", answer.PostedForm, StringComparison.Ordinal);
        Assert.Contains("state=", answer.PostedForm, StringComparison.Ordinal);

        // The same browser (its correlation cookie was spent) and another one (an attacker's) post the provider's answer again.
        using var attacker = new UpstreamBrowser(app.BaseAddress, Provider);
        foreach (var replaying in new[] { browser, attacker })
        {
            var replay = await replaying.SendAsync(answer.Url, new StringContent(answer.PostedForm!, Encoding.ASCII, "application/x-www-form-urlencoded"));
            Assert.Equal(HttpStatusCode.Redirect, replay.Status);
            Assert.Equal("/oauth/login", replay.Location!.AbsolutePath);
            Assert.Equal("upstream", Query(replay.Location, "error"));
            Assert.DoesNotContain(replay.SetCookies, c => c.StartsWith("mcp-oauth=", StringComparison.Ordinal) || c.StartsWith("mcp-oauth-external=", StringComparison.Ordinal));
            var page = await replaying.SendAsync(replay.Location);
            Assert.Equal(HttpStatusCode.OK, page.Status);
            Assert.Contains("did not complete", page.Body, StringComparison.Ordinal);

            // Our own callback, visited again, finds no upstream answer: a 4xx page, not a sign-in and not a 500.
            var callback = await replaying.SendAsync(new Uri(app.BaseAddress, "/oauth/login/callback"));
            Assert.InRange((int)callback.Status, 400, 499);
            Assert.Contains("This sign-in has expired or did not start here.", callback.Body, StringComparison.Ordinal);
        }

        Assert.False(attacker.HasCookie("mcp-oauth"));
        Assert.Equal(2, app.Logs.WithEventId(1208).Count);
        Assert.Single(app.Logs.WithEventId(1207));   // the one real sign-in
    }

    [Fact]
    public async Task Subject_IsStableForTheSameUpstreamUser_AndDiffersAcrossIssuers()
    {
        var app = Start(UpstreamApp.SettingsFor(Provider));
        var subjects = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            using var browser = new UpstreamBrowser(app.BaseAddress, Provider) { Login = "dave@example.org" };   // a fresh cookie jar each time
            await using var client = await UpstreamClients.ConnectAsync(new Uri(app.BaseAddress, "/mcp"), HttpTransportMode.StreamableHttp, browser);
            Assert.Contains(browser.ProviderVisits, v => v.Method == HttpMethod.Post && v.Url.AbsolutePath.EndsWith("/login", StringComparison.Ordinal));
            subjects.Add(SubOf(await CallAsync(client, "whoami")));
        }

        Assert.Equal(subjects[0], subjects[1]);
        Assert.Equal(ExpectedSubject(Provider, "dave@example.org"), subjects[0]);

        // The same login at another provider (another issuer; the provider's own sub is the same) is another user here.
        await using var other = await OidcProvider.StartAsync();
        Assert.NotEqual(Provider.Issuer, other.Issuer);
        var otherApp = Start(UpstreamApp.SettingsFor(other));
        using var otherBrowser = new UpstreamBrowser(otherApp.BaseAddress, other) { Login = "dave@example.org" };
        await using var otherClient = await UpstreamClients.ConnectAsync(new Uri(otherApp.BaseAddress, "/mcp"), HttpTransportMode.StreamableHttp, otherBrowser);
        var otherSubject = SubOf(await CallAsync(otherClient, "whoami"));
        using var userinfo = JsonDocument.Parse(await CallAsync(otherClient, "upstream_userinfo"));

        Assert.Equal(UpstreamSubject("dave@example.org"), userinfo.RootElement.GetProperty("sub").GetString());
        Assert.NotEqual(subjects[0], otherSubject);
        Assert.Equal(ExpectedSubject(other, "dave@example.org"), otherSubject);
    }

    [Theory]
    [InlineData("/mcp", HttpTransportMode.StreamableHttp)]
    [InlineData("/sse", HttpTransportMode.Sse)]
    public async Task NoTokenPassthrough_TheClientGetsOurJwt_AndNeverSeesAnUpstreamToken(string path, HttpTransportMode mode)
    {
        var app = Start(UpstreamApp.SettingsFor(Provider));
        using var browser = new UpstreamBrowser(app.BaseAddress, Provider);
        var recorder = new RecordingHandler();
        await using (var client = await UpstreamClients.ConnectAsync(new Uri(app.BaseAddress, path), mode, browser, http: new HttpClient(recorder)))
        {
            var subject = SubOf(await CallAsync(client, "whoami"));
            Assert.Contains("alice@example.com", await CallAsync(client, "upstream_userinfo"), StringComparison.Ordinal);
            Assert.NotNull(await UpstreamAccessTokenAsync(app, subject));
        }

        var upstream = app.SignInTokens.Sets.Single();
        Assert.False(string.IsNullOrEmpty(upstream.AccessToken));
        Assert.False(string.IsNullOrEmpty(upstream.RefreshToken));
        Assert.False(string.IsNullOrEmpty(upstream.IdToken));
        string[] upstreamTokens = [.. app.SignInTokens.AllValues];

        // The token response: our own JWT (our issuer, our audience), not the provider's token.
        var tokenExchange = Assert.Single(recorder.Exchanges, e => e.Method == HttpMethod.Post && e.Url.AbsolutePath == "/oauth/token");
        Assert.Equal(HttpStatusCode.OK, tokenExchange.Status);
        using var tokenResponse = JsonDocument.Parse(tokenExchange.Body);
        var accessToken = tokenResponse.RootElement.GetProperty("access_token").GetString()!;
        Assert.DoesNotContain(accessToken, upstreamTokens);
        Assert.False(tokenResponse.RootElement.TryGetProperty("id_token", out _));
        var parts = accessToken.Split('.');
        Assert.Equal(3, parts.Length);
        using var header = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0]));
        Assert.Equal("at+jwt", header.RootElement.GetProperty("typ").GetString());
        using var payload = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1]));
        Assert.Equal(await IssuerAsync(app), payload.RootElement.GetProperty("iss").GetString());
        Assert.NotEqual(Provider.Issuer, payload.RootElement.GetProperty("iss").GetString());
        Assert.StartsWith("ext:", payload.RootElement.GetProperty("sub").GetString(), StringComparison.Ordinal);

        // Nothing our server sent the client or the browser carries an upstream token. The recorder did see the tool
        // results (the userinfo e-mail), so the check covers the streamed responses too.
        Assert.Contains(recorder.Exchanges, e => e.Body.Contains("alice@example.com", StringComparison.Ordinal));
        AssertNoTokensIn(recorder.Exchanges.Select(e => e.Body), upstreamTokens);
        AssertNoTokensIn(browser.ServerVisits.Select(v => v.Body + "\n" + v.Location + "\n" + string.Join('\n', v.SetCookies)), upstreamTokens);
        AssertNoTokensIn(app.Logs.Entries.Select(e => e.Message), [.. upstreamTokens, accessToken]);
    }

    [Fact]
    public async Task RememberedConsent_ASecondClientConnection_GetsACodeWithoutTheConsentPage()
    {
        var app = Start(UpstreamApp.SettingsFor(Provider));
        using var browser = new UpstreamBrowser(app.BaseAddress, Provider);
        var log = new AuthorizationLog();
        string firstSubject;
        await using (var first = await UpstreamClients.ConnectAsync(new Uri(app.BaseAddress, "/mcp"), HttpTransportMode.StreamableHttp, browser, log: log))
        {
            firstSubject = SubOf(await CallAsync(first, "whoami"));
        }

        Assert.Equal(1, browser.ConsentPagesSeen);
        var clientId = Assert.Single(log.RegisteredClientIds);
        var providerVisits = browser.ProviderVisits.Count;
        Assert.Empty(app.Logs.WithEventId(1209));

        // A new McpClient of the same application (same client id), the same user's browser.
        await using var second = await UpstreamClients.ConnectAsync(new Uri(app.BaseAddress, "/mcp"), HttpTransportMode.StreamableHttp, browser, log: log, clientId: clientId);

        Assert.Equal(2, log.Flows.Count);
        Assert.Contains("code=", log.Flows[1].Redirect!.Query, StringComparison.Ordinal);
        Assert.Equal(1, browser.ConsentPagesSeen);
        Assert.Equal(providerVisits, browser.ProviderVisits.Count);   // still signed in here: the provider was not asked again
        Assert.Single(log.RegisteredClientIds);
        var remembered = Assert.Single(app.Logs.WithEventId(1209));
        Assert.Equal(clientId, remembered.Values["ClientId"]);
        Assert.Equal(firstSubject, SubOf(await CallAsync(second, "whoami")));
    }

    [Fact]
    public async Task LoginPage_WithLocalUsersAndTheUpstreamScheme_OffersBoth_AndTheProviderLinkSignsIn()
    {
        var app = Start(UpstreamApp.SettingsFor(Provider, ("NoDemoUsers", null), ("Upstream:DisplayName", "Example IdP")));
        using var browser = new UpstreamBrowser(app.BaseAddress, Provider);
        var log = new AuthorizationLog();

        await using var client = await UpstreamClients.ConnectAsync(new Uri(app.BaseAddress, "/mcp"), HttpTransportMode.StreamableHttp, browser, log: log);

        // Local users exist, so /oauth/authorize showed our login page: the provider's link and the local form.
        var (authorizationUri, _) = Assert.Single(log.Flows);
        var loginPage = Assert.Single(browser.ServerVisits, v => v.Url.AbsolutePath == "/oauth/login" && v.Status == HttpStatusCode.OK);
        Assert.Contains(">Sign in with Example IdP</a>", loginPage.Body, StringComparison.Ordinal);
        Assert.Contains("name=\"username\"", loginPage.Body, StringComparison.Ordinal);
        Assert.Contains("name=\"password\"", loginPage.Body, StringComparison.Ordinal);
        var link = Assert.Single(UpstreamBrowser.Links(loginPage.Body, loginPage.Url), l => l.Query.Contains("provider=", StringComparison.Ordinal));
        Assert.Equal("upstream", Query(link, "provider"));
        Assert.Equal(authorizationUri.PathAndQuery, Query(link, "ReturnUrl"));

        // The link led to the provider's authorization endpoint with our client id (the rest of the request went by
        // pushed authorization request, which the provider advertises), and the provider sent the browser back to our callback.
        var challenge = Assert.Single(browser.ServerVisits, v => v.Url == link);
        Assert.StartsWith(Provider.Issuer + "/auth?", challenge.Location!.ToString(), StringComparison.Ordinal);
        Assert.Equal(Provider.ClientId, Query(challenge.Location, "client_id"));
        Assert.Contains(browser.ProviderVisits, v => v.Url == challenge.Location);
        Assert.Contains(browser.ServerVisits, v => v.Method == HttpMethod.Post && v.Url == new Uri(app.BaseAddress, "/signin-upstream"));

        Assert.Equal(ExpectedSubject(Provider, "alice@example.com"), SubOf(await CallAsync(client, "whoami")));

        // The local form still works beside it.
        await using var local = await SdkClients.ConnectAsync(new Uri(app.BaseAddress, "/mcp"), HttpTransportMode.StreamableHttp, "bob");
        Assert.StartsWith("user=bob; sub=bob;", await CallAsync(local, "whoami"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectedAppsPage_SignsInThroughTheProvider_AndListsTheUsersClient()
    {
        var app = Start(UpstreamApp.SettingsFor(Provider, ("Upstream:DisplayName", "Example IdP")));
        using (var browser = new UpstreamBrowser(app.BaseAddress, Provider))
        {
            await using var client = await UpstreamClients.ConnectAsync(new Uri(app.BaseAddress, "/mcp"), HttpTransportMode.StreamableHttp, browser);
        }

        // Another day, another browser: the account page sends the user to the login page, whose link goes to the provider
        // (the same user there), and back to the page, which lists the application allowed before.
        using var later = new UpstreamBrowser(app.BaseAddress, Provider);
        Assert.Null(await later.AuthorizeAsync(new Uri(app.BaseAddress, "/oauth/apps"), UpstreamClients.RedirectUri));
        Assert.Contains(later.ServerVisits, v => v.Url.AbsolutePath == "/oauth/login" && v.Body.Contains(">Sign in with Example IdP</a>", StringComparison.Ordinal));
        Assert.Contains(later.ProviderVisits, v => v.Method == HttpMethod.Post && v.Url.AbsolutePath.EndsWith("/login", StringComparison.Ordinal));
        var page = later.LastPage!;
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Equal("/oauth/apps", page.Url.AbsolutePath);
        Assert.Contains("McpSseAuth upstream e2e", page.Body, StringComparison.Ordinal);
        Assert.DoesNotContain(later.ServerVisits, v => (int)v.Status >= 500);
    }

    [Fact]
    public async Task WithoutTheUpstreamKeys_TheSameAppOffersNoUpstreamSignIn()
    {
        // The control for "on by configuration alone": the test host adds no scheme; the Upstream keys do.
        var app = Start(new Dictionary<string, string?>());
        using var browser = new UpstreamBrowser(app.BaseAddress, Provider);

        var page = await browser.SendAsync(new Uri(app.BaseAddress, "/oauth/login"));
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Contains("name=\"username\"", page.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("Sign in with", page.Body, StringComparison.Ordinal);
        Assert.DoesNotContain(UpstreamBrowser.Links(page.Body, page.Url), l => l.Query.Contains("provider=", StringComparison.Ordinal));

        var challenge = await browser.SendAsync(new Uri(app.BaseAddress, "/oauth/login?provider=upstream"));
        Assert.Equal(HttpStatusCode.BadRequest, challenge.Status);
        Assert.Contains("That sign-in method is not offered here.", challenge.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AccessRules_RefusedUser_CanSignInWithAnotherAccount_TheProviderAsksAgain()
    {
        var app = Start(UpstreamApp.SettingsFor(Provider, ("McpOAuth:SignIn:AccessRules:AllowedEmailDomains:0", "example.com")));
        using var http = new HttpClient { BaseAddress = app.BaseAddress };
        var flow = new OAuthFlow(http);
        var clientId = await flow.RegisterAsync();
        var redirectUri = new Uri(OAuthFlow.RedirectUri);
        using var browser = new UpstreamBrowser(app.BaseAddress, Provider) { Login = "eve@other.com" };

        var denied = await browser.AuthorizeAsync(flow.AuthorizeUrl(clientId, new Uri(app.BaseAddress, "/mcp").ToString()), redirectUri);
        Assert.Equal("access_denied", Query(denied!, "error"));
        var refused = Assert.Single(browser.ServerVisits, v => v.Status == HttpStatusCode.Forbidden);
        var another = Assert.Single(UpstreamBrowser.Links(refused.Body, refused.Url), l => l.Query.Contains("prompt=login", StringComparison.Ordinal));

        // The provider still has eve's session; without prompt=login it would sign her in again at once and she would be refused again.
        browser.Login = "alice@example.com";
        var loginFormsBefore = browser.ProviderVisits.Count(v => v.Body.Contains("name=\"login\"", StringComparison.Ordinal));
        var allowed = await browser.AuthorizeAsync(another, redirectUri);

        Assert.False(string.IsNullOrEmpty(Query(allowed!, "code")), allowed!.ToString());
        Assert.Equal(flow.State, Query(allowed, "state"));
        Assert.True(browser.ProviderVisits.Count(v => v.Body.Contains("name=\"login\"", StringComparison.Ordinal)) > loginFormsBefore);
    }

    private UpstreamApp Start(Dictionary<string, string?> settings, Action<IServiceCollection>? services = null)
    {
        var app = new UpstreamApp(settings, services);
        _disposables.Add(app);
        return app;
    }

    private static async Task<string> CallAsync(McpClient client, string tool)
    {
        var result = await client.CallToolAsync(tool);
        return Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text;
    }

    private static string SubOf(string whoami)
        => whoami.Split("; ").Single(p => p.StartsWith("sub=", StringComparison.Ordinal))["sub=".Length..];

    private static string Query(Uri url, string name) => Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(url.Query)[name].ToString();

    private static async Task<string> IssuerAsync(UpstreamApp app)
    {
        using var http = new HttpClient();
        using var metadata = JsonDocument.Parse(await http.GetStringAsync(new Uri(app.BaseAddress, "/.well-known/oauth-authorization-server")));
        return metadata.RootElement.GetProperty("issuer").GetString()!;
    }

    /// <summary>What a tool gets from <see cref="IMcpUserTokens"/> for the user with this subject.</summary>
    private static async Task<string?> UpstreamAccessTokenAsync(UpstreamApp app, string subject)
    {
        var user = new ClaimsPrincipal(new ClaimsIdentity([new Claim("sub", subject)], "test"));
        return await app.Services.GetRequiredService<IMcpUserTokens>().GetUpstreamAccessTokenAsync(user);
    }

    private static async Task RevokeAsync(OidcProvider provider, string refreshToken)
    {
        using var http = new HttpClient();
        using var discovery = JsonDocument.Parse(await http.GetStringAsync(provider.Issuer + "/.well-known/openid-configuration"));
        using var response = await http.PostAsync(discovery.RootElement.GetProperty("revocation_endpoint").GetString(), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["token"] = refreshToken,
            ["token_type_hint"] = "refresh_token",
            ["client_id"] = provider.ClientId,
            ["client_secret"] = provider.ClientSecret,
        }));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>Event 1206 was written once, with the user's subject, the scheme and the reason, and no token in it.</summary>
    private void AssertRefusalLogged(UpstreamApp app, string login, string reason)
    {
        var entry = Assert.Single(app.Logs.WithEventId(1206));
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, entry.Level);
        Assert.Equal(ExpectedSubject(Provider, login), entry.Values["Subject"]);
        Assert.Equal("upstream", entry.Values["Scheme"]);
        Assert.Contains(reason, entry.Message, StringComparison.Ordinal);

        // The provider did issue tokens for this sign-in (so the check below means something); none reached the log.
        var tokens = app.SignInTokens.AllValues;
        Assert.NotEmpty(tokens);
        AssertNoTokensIn([entry.Message, .. entry.Values.Values.OfType<string>()], tokens);
        AssertNoTokensIn(app.Logs.Entries.Select(e => e.Message), tokens);
    }

    private static void AssertNoTokensIn(IEnumerable<string> texts, IEnumerable<string> tokens)
    {
        var tokenList = tokens.Where(t => t.Length > 0).ToList();
        foreach (var text in texts)
        {
            foreach (var token in tokenList)
            {
                Assert.False(text.Contains(token, StringComparison.Ordinal), $"A token ({token[..Math.Min(token.Length, 12)]}…) appears in: {text[..Math.Min(text.Length, 300)]}");
            }
        }
    }

    /// <summary>The provider's subject for a login (tests/e2e-ts/oidc-provider.mjs): "u-" + 16 hex digits of SHA-256 of the lower-cased login.</summary>
    private static string UpstreamSubject(string login)
        => "u-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(login.ToLowerInvariant())))[..16];

    /// <summary>The documented subject: "ext:" + base64url(SHA-256(upstream issuer + "\n" + upstream sub)).</summary>
    private static string ExpectedSubject(OidcProvider provider, string login)
        => "ext:" + Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(provider.Issuer + "\n" + UpstreamSubject(login))));
}
