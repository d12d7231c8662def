using System.Net;
using System.Security.Claims;
using McpSseAuth.Tests.Infrastructure;
using TestHttp = McpSseAuth.Tests.Integration.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace McpSseAuth.Tests.EndToEnd;

/// <summary>
/// <see cref="IMcpUserAccess"/> on real Kestrel: an administrator lists a user's grants, revokes one grant or a client, or
/// removes the user. Whatever is revoked stops at once: streams close, access tokens get 401, refresh tokens are refused,
/// and a removed user's sign-in to the authorization server ends. Other users are not touched.
/// </summary>
public sealed class UserAccessTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly SampleApp _app;

    public UserAccessTests() => _app = new SampleApp(kestrel: true, services: s => s.AddSingleton<TimeProvider>(_clock));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private string Resource(string path) => new Uri(_app.BaseAddress, path).ToString().TrimEnd('/');

    private IMcpUserAccess Access => _app.Services.GetRequiredService<IMcpUserAccess>();

    private IMcpSessions Sessions => _app.Services.GetRequiredService<IMcpSessions>();

    private static ClaimsPrincipal User(string subject) => new(new ClaimsIdentity([new Claim("sub", subject)], "test"));

    private static async Task<string> InitializeStreamableAsync(HttpClient http, string token)
    {
        using var init = await McpWire.PostJsonAsync(http, "/mcp", McpWire.Initialize, token);
        Assert.Equal(HttpStatusCode.OK, init.StatusCode);
        return Assert.Single(init.Headers.GetValues("Mcp-Session-Id"));
    }

    private async Task<(Browser Browser, TokenSet Tokens)> SignInWithBrowserAsync(HttpClient http, string user)
    {
        var flow = new OAuthFlow(http);
        var clientId = await flow.RegisterAsync();
        var browser = new Browser(http);
        var location = await browser.AuthorizeAsync(flow.AuthorizeUrl(clientId, Resource("/mcp")), user, user);
        var json = await TestHttp.ReadJsonAsync(await flow.RedeemAsync(clientId, TestHttp.Query(location)["code"]));
        return (browser, new TokenSet(clientId, json.GetProperty("access_token").GetString()!, json.GetProperty("refresh_token").GetString()!));
    }

    [Fact]
    public async Task RemoveUser_ClosesEveryStream_RevokesEveryToken_EndsTheSignIn_AndLeavesOtherUsersAlone()
    {
        using var http = _app.CreateRawClient();
        var viaStreamable = await new OAuthFlow(http).GetTokensAsync(Resource("/mcp"), "alice");
        var viaSse = await new OAuthFlow(http).GetTokensAsync(Resource("/sse"), "alice");
        var (browser, viaBrowser) = await SignInWithBrowserAsync(http, "alice");
        var bob = await new OAuthFlow(http).GetTokensAsync(Resource("/mcp"), "bob");
        var tokens = _app.Services.GetRequiredService<IMcpUserTokens>();
        await tokens.SetServiceTokenAsync(User("alice"), "github", "ghp_alice");
        await tokens.SetServiceTokenAsync(User("bob"), "github", "ghp_bob");

        var aliceSession = await InitializeStreamableAsync(http, viaStreamable.AccessToken);
        var bobSession = await InitializeStreamableAsync(http, bob.AccessToken);
        var (standalone, standaloneReader) = await McpWire.OpenStandaloneStreamAsync(http, viaStreamable.AccessToken, aliceSession);
        var (sse, sseReader, _) = await McpWire.OpenSseAsync(http, viaSse.AccessToken);
        using (standalone)
        using (standaloneReader)
        using (sse)
        using (sseReader)
        {
            Assert.Equal(2, (await Sessions.WaitForCountAsync("alice", 2)).Count);
            Assert.Equal(3, (await Access.ListGrantsAsync("alice")).Count);

            var removed = await Access.RemoveUserAsync("alice");

            Assert.Equal(new McpAccessRevocation(GrantsRevoked: 3, ConsentsForgotten: 3, SessionsEnded: 2), removed);
            // Both the Streamable session's standalone stream and the legacy SSE stream are closed by the server.
            await McpWire.ReadUntilClosedAsync(standaloneReader);
            await McpWire.ReadUntilClosedAsync(sseReader);
        }

        foreach (var token in new[] { viaStreamable, viaSse, viaBrowser })
        {
            using var call = await McpWire.PostJsonAsync(http, "/mcp", McpWire.Initialize, token.AccessToken);
            Assert.Equal(HttpStatusCode.Unauthorized, call.StatusCode);
            var refresh = await new OAuthFlow(http).RefreshAsync(token.ClientId, token.RefreshToken);
            Assert.Equal(HttpStatusCode.BadRequest, refresh.StatusCode);
            Assert.Equal("invalid_grant", (await TestHttp.ReadJsonAsync(refresh)).GetProperty("error").GetString());
        }

        // The browser's sign-in to the authorization server is over: back to the login page.
        var apps = await browser.SendAsync(new Uri(_app.BaseAddress, "/oauth/apps"));
        Assert.Equal(HttpStatusCode.Redirect, apps.StatusCode);
        Assert.StartsWith("/oauth/login", apps.Headers.Location!.OriginalString.Replace(_app.BaseAddress.GetLeftPart(UriPartial.Authority), "", StringComparison.Ordinal), StringComparison.Ordinal);

        Assert.Null(await tokens.GetServiceTokenAsync(User("alice"), "github"));
        Assert.Empty(await Access.ListGrantsAsync("alice"));
        Assert.Empty(await Sessions.WaitForCountAsync("alice", 0));

        // Bob: his session, his grant and his service token are untouched.
        using var bobCall = await McpWire.PostJsonAsync(http, "/mcp", McpWire.ListTools, bob.AccessToken, bobSession);
        Assert.Equal(HttpStatusCode.OK, bobCall.StatusCode);
        Assert.Single(await Access.ListGrantsAsync("bob"));
        Assert.Equal("ghp_bob", await tokens.GetServiceTokenAsync(User("bob"), "github"));
    }

    [Fact]
    public async Task RemovedUser_WhoStillPassesSignIn_MustSignInAgain_AndThenWorksAsANewUser()
    {
        using var http = _app.CreateRawClient();
        var (browser, old) = await SignInWithBrowserAsync(http, "alice");
        await Access.RemoveUserAsync("alice");
        // The clock does not move: a sign-in right after the removal is a new one.
        _clock.Advance(TimeSpan.FromTicks(1));

        var flow = new OAuthFlow(http);
        var clientId = await flow.RegisterAsync();
        var authorize = flow.AuthorizeUrl(clientId, Resource("/mcp"));
        var first = await browser.SendAsync(authorize);
        Assert.Equal(HttpStatusCode.Redirect, first.StatusCode);
        Assert.Contains("/oauth/login", first.Headers.Location!.OriginalString, StringComparison.Ordinal);

        var location = await browser.AuthorizeAsync(authorize, "alice", "alice");
        var json = await TestHttp.ReadJsonAsync(await flow.RedeemAsync(clientId, TestHttp.Query(location)["code"]));
        using var call = await McpWire.PostJsonAsync(http, "/mcp", McpWire.Initialize, json.GetProperty("access_token").GetString());
        Assert.Equal(HttpStatusCode.OK, call.StatusCode);
        Assert.Equal(clientId, Assert.Single(await Access.ListGrantsAsync("alice")).ClientId);
        Assert.Equal(HttpStatusCode.OK, (await browser.SendAsync(new Uri(_app.BaseAddress, "/oauth/apps"))).StatusCode);
        // What was revoked stays revoked.
        Assert.Equal(HttpStatusCode.BadRequest, (await flow.RefreshAsync(old.ClientId, old.RefreshToken)).StatusCode);
    }

    [Fact]
    public async Task RevokeGrant_EndsThatGrantOnly_AndKeepsTheConsent()
    {
        using var http = _app.CreateRawClient();
        var flow = new OAuthFlow(http);
        var clientId = await flow.RegisterAsync();
        async Task<TokenSet> GrantAsync()
        {
            var code = (await flow.AuthorizeAsync(clientId, Resource("/sse")))["code"];
            var json = await TestHttp.ReadJsonAsync(await flow.RedeemAsync(clientId, code));
            return new TokenSet(clientId, json.GetProperty("access_token").GetString()!, json.GetProperty("refresh_token").GetString()!);
        }

        var first = await GrantAsync();
        var second = await GrantAsync();
        var (sse, reader, _) = await McpWire.OpenSseAsync(http, first.AccessToken);
        using (sse)
        using (reader)
        {
            Assert.Single(await Sessions.WaitForCountAsync("alice", 1));
            var grants = await Access.ListGrantsAsync("alice");
            Assert.Equal(2, grants.Count);
            var firstGrant = Assert.Single(grants, g => g.GrantId == Sessions.ListForUser("alice")[0].GrantId);
            Assert.Equal(clientId, firstGrant.ClientId);
            Assert.Contains("mcp:tools", firstGrant.Scopes);
            Assert.Equal([Resource("/sse")], firstGrant.Resources);

            // Another user's grant id is not theirs to revoke.
            Assert.Equal(new McpAccessRevocation(0, 0, 0), await Access.RevokeGrantAsync("bob", firstGrant.GrantId));
            Assert.Equal(2, (await Access.ListGrantsAsync("alice")).Count);

            Assert.Equal(new McpAccessRevocation(1, 0, 1), await Access.RevokeGrantAsync("alice", firstGrant.GrantId));
            await McpWire.ReadUntilClosedAsync(reader);
        }

        Assert.Equal(HttpStatusCode.BadRequest, (await flow.RefreshAsync(clientId, first.RefreshToken)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await flow.RefreshAsync(clientId, second.RefreshToken)).StatusCode);
        Assert.Single(await Access.ListGrantsAsync("alice"));
        // The consent stays: the client gets a new code without the user being asked.
        var again = new Browser(http);
        var location = await again.AuthorizeAsync(flow.AuthorizeUrl(clientId, Resource("/sse")), "alice", "alice");
        Assert.True(TestHttp.Query(location).ContainsKey("code"));
        Assert.DoesNotContain("name=\"decision\"", again.LastHtml, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RevokeClient_EndsItsGrantsAndSessions_AndForgetsItsConsent()
    {
        using var http = _app.CreateRawClient();
        var kept = await new OAuthFlow(http).GetTokensAsync(Resource("/mcp"), "alice");
        var revoked = await new OAuthFlow(http).GetTokensAsync(Resource("/mcp"), "alice");
        var keptSession = await InitializeStreamableAsync(http, kept.AccessToken);
        var revokedSession = await InitializeStreamableAsync(http, revoked.AccessToken);

        Assert.Equal(new McpAccessRevocation(1, 1, 1), await Access.RevokeClientAsync("alice", revoked.ClientId));

        using var gone = await McpWire.PostJsonAsync(http, "/mcp", McpWire.ListTools, revoked.AccessToken, revokedSession);
        Assert.Equal(HttpStatusCode.Unauthorized, gone.StatusCode);
        using var still = await McpWire.PostJsonAsync(http, "/mcp", McpWire.ListTools, kept.AccessToken, keptSession);
        Assert.Equal(HttpStatusCode.OK, still.StatusCode);
        Assert.Equal(kept.ClientId, Assert.Single(await Sessions.WaitForCountAsync("alice", 1)).ClientId);
        // Nothing left to revoke the second time.
        Assert.Equal(new McpAccessRevocation(0, 0, 0), await Access.RevokeClientAsync("alice", revoked.ClientId));
    }

    [Fact]
    public async Task ListedSessions_ReportTheirLastActivity()
    {
        using var http = _app.CreateRawClient();
        var tokens = await new OAuthFlow(http).GetTokensAsync(Resource("/mcp"), "alice");
        var sessionId = await InitializeStreamableAsync(http, tokens.AccessToken);
        var created = Assert.Single(Sessions.ListForUser("alice"));
        Assert.Equal(created.CreatedAt, created.LastActivityAt);

        _clock.Advance(TimeSpan.FromMinutes(3));
        using var call = await McpWire.PostJsonAsync(http, "/mcp", McpWire.ListTools, tokens.AccessToken, sessionId);
        Assert.Equal(HttpStatusCode.OK, call.StatusCode);

        var listed = Assert.Single(Sessions.ListForUser("alice"));
        Assert.Equal(created.CreatedAt + TimeSpan.FromMinutes(3), listed.LastActivityAt);
        Assert.Equal(0, listed.RequestsInFlight);
    }
}
