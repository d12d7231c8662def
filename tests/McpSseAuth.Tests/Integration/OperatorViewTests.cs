using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text.Encodings.Web;
using System.Text.RegularExpressions;
using McpSseAuth.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Tests.Integration;

/// <summary>
/// The sample with alice as its one operator (<c>Operators.Access.AllowedUsers</c>) and an API scheme of the host's own,
/// <see cref="OperatorKeyHandler"/>; every security event it raises is kept.
/// </summary>
public sealed class OperatorAppFixture : IAsyncLifetime
{
    public const string ApiScheme = "OperatorKey";

    private readonly ConcurrentDictionary<string, TaskCompletionSource<McpSessionEndReason?>> _ends = new();

    public ConcurrentQueue<McpSecurityEventContext> Events { get; } = new();

    /// <summary>Completes with the reason when the session ends.</summary>
    public Task<McpSessionEndReason?> EndOf(string sessionId) => _ends.GetOrAdd(sessionId, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public SampleApp App { get; private set; } = null!;

    public Task InitializeAsync()
    {
        App = new SampleApp(
            configure: o =>
            {
                o.SignIn.MaxFailedAttempts = 1_000;
                o.Operators.Access.AllowedUsers.Add("alice");
                o.Operators.ApiSchemes.Add(ApiScheme);
                o.Events.OnSessionEnded = e =>
                {
                    _ends.GetOrAdd(e.Session.SessionId, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(e.EndReason);
                    return Task.CompletedTask;
                };
                o.Events.OnSecurityEvent = e =>
                {
                    Events.Enqueue(e);
                    return Task.CompletedTask;
                };
            },
            services: s => s.AddAuthentication().AddScheme<AuthenticationSchemeOptions, OperatorKeyHandler>(ApiScheme, _ => { }));
        _ = App.Server;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await App.DisposeAsync();
}

/// <summary>A host's API scheme: <c>Authorization: OperatorKey name</c> authenticates as <c>name</c> (as an API key scheme would).</summary>
internal sealed class OperatorKeyHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!AuthenticationHeaderValue.TryParse(Request.Headers.Authorization, out var header) || header.Scheme != Scheme.Name || header.Parameter is not { Length: > 0 } name)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var identity = new ClaimsIdentity([new Claim("sub", name)], Scheme.Name);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = 401;
        Response.Headers.WWWAuthenticate = Scheme.Name;
        return Task.CompletedTask;
    }
}

/// <summary>
/// The operator's pages and API: only operators get in (the pages by the sign-in cookie, the API by the host's scheme and
/// never the cookie); they see every user who signed in with their grants and live sessions and the registered clients with
/// their last use; each revocation takes effect at once, needs the page's anti-forgery token, and is audited with the
/// operator's name.
/// </summary>
public sealed partial class OperatorViewTests(OperatorAppFixture fixture) : IClassFixture<OperatorAppFixture>
{
    private static readonly Uri View = new("http://localhost/oauth/operator");
    private readonly HttpClient _http = fixture.App.CreateRawClient();

    /// <summary>A client <paramref name="user"/> allowed, its tokens redeemed.</summary>
    private async Task<TokenSet> ConnectedAsync(string user, string clientName)
    {
        var flow = new OAuthFlow(_http);
        var clientId = await flow.RegisterAsync(clientName);
        var browser = new Browser(_http);
        var location = await browser.AuthorizeAsync(flow.AuthorizeUrl(clientId, Http.McpResource), user, user);
        var response = await flow.RedeemAsync(clientId, Http.Query(location)["code"]);
        var json = await Http.ReadJsonAsync(response);
        return new TokenSet(clientId, json.GetProperty("access_token").GetString()!, json.GetProperty("refresh_token").GetString()!);
    }

    private async Task<Browser> OperatorAsync(string user = "alice")
        => (await AccountPageSupport.SignInAsync(_http, user)).Browser;

    private static async Task<string> PageAsync(Browser browser, string query = "")
    {
        var response = await browser.SendAsync(new Uri(View + query));
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"Expected the operator's page, got {(int)response.StatusCode}: {html}");
        AccountPageSupport.AssertPageHeaders(response);
        return html;
    }

    private static string UserQuery(string subject) => "?user=" + Uri.EscapeDataString(subject);

    /// <summary>Posts a form of the user's page: <paramref name="fields"/> plus the page's anti-forgery token.</summary>
    private static async Task<HttpResponseMessage> PostAsync(Browser browser, string subject, Dictionary<string, string> fields)
    {
        var (name, value) = AccountPageSupport.AntiforgeryField(await PageAsync(browser, UserQuery(subject)));
        fields[name] = value;
        fields["user"] = subject;
        return await browser.SendAsync(View, new FormUrlEncodedContent(fields));
    }

    private static HttpRequestMessage Api(HttpMethod method, string path, string? caller = "alice")
    {
        var request = new HttpRequestMessage(method, "/oauth/operator/api/" + path);
        if (caller is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue(OperatorAppFixture.ApiScheme, caller);
        }

        return request;
    }

    private async Task<HttpStatusCode> RefreshStatusAsync(TokenSet tokens)
    {
        using var response = await new OAuthFlow(_http).RefreshAsync(tokens.ClientId, tokens.RefreshToken);
        return response.StatusCode;
    }

    [Fact]
    public async Task Page_NotSignedIn_SendsToLoginAndBack()
    {
        await AccountPageSupport.AssertChallengeSignsInAndReturnsAsync(new Browser(_http), View, "alice");
    }

    [Fact]
    public async Task Page_SignedInUserWhoIsNoOperator_GetsA403PageAndTheRefusalIsAudited()
    {
        var bob = await OperatorAsync("bob");

        var response = await bob.SendAsync(View);

        var html = await Http.AssertErrorPageAsync(response, HttpStatusCode.Forbidden);
        Assert.Contains("Only the server&#x27;s operators may use this.", html, StringComparison.Ordinal);
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Contains(fixture.Events, e => e.Event == McpSecurityEvent.OperatorRefused && e.Subject == "bob" && e.EventId == 1217);
    }

    [Fact]
    public async Task Overview_ListsUsersWhoSignedIn_AndRegisteredClientsWithLastUse_NamesEncoded()
    {
        var tokens = await ConnectedAsync("bob", "<b>Bob's</b> & tools");
        var alice = await OperatorAsync();

        var html = await PageAsync(alice);

        Assert.Contains("<a href=\"/oauth/operator?user=bob\">bob</a>", html, StringComparison.Ordinal);
        Assert.Matches(@"\(bob\) signed in \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC \(local\)", html);
        Assert.DoesNotContain("<b>Bob", html, StringComparison.Ordinal);
        var client = ClientLine().Matches(html).Select(m => m.Value).Single(l => l.Contains(tokens.ClientId, StringComparison.Ordinal));
        Assert.Contains("&lt;b&gt;Bob&#x27;s&lt;/b&gt; &amp; tools", client, StringComparison.Ordinal);
        Assert.Matches(@"registered, sends users back to 127\.0\.0\.1:7777, registered \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC, last used \d{4}", client);
    }

    [Fact]
    public async Task UserPage_RevokeGrant_EndsItsTokensAtOnce_AndIsAuditedWithTheOperator()
    {
        var kept = await ConnectedAsync("bob", "Kept client");
        var revoked = await ConnectedAsync("bob", "Revoked client");
        var alice = await OperatorAsync();
        var grantId = GrantIdOf(await PageAsync(alice, UserQuery("bob")), revoked.ClientId);

        var response = await PostAsync(alice, "bob", new() { ["action"] = "revoke_grant", ["grant_id"] = grantId });

        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        Assert.Equal("/oauth/operator?user=bob&done=revoke_grant", response.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.BadRequest, await RefreshStatusAsync(revoked));
        using (var mcp = await Http.SendHeadersAsync(_http, Http.McpInitialize("/mcp", revoked.AccessToken)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, mcp.StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, await RefreshStatusAsync(kept));
        var after = await PageAsync(alice, UserQuery("bob") + "&done=revoke_grant");
        Assert.Contains("Grant revoked", after, StringComparison.Ordinal);
        Assert.DoesNotContain(grantId, after, StringComparison.Ordinal);
        Assert.Contains(fixture.Events, e => e.Event == McpSecurityEvent.OperatorAction && e.EventId == 1216 && e.Subject == "bob" && e.Detail == "revoke grant by alice" && e.HttpContext is not null);
    }

    [Fact]
    public async Task UserPage_PostWithoutTheAntiforgeryToken_IsRefusedAndRevokesNothing()
    {
        var tokens = await ConnectedAsync("bob", "Forged client");
        var alice = await OperatorAsync();

        var response = await alice.SendAsync(View, new FormUrlEncodedContent(new Dictionary<string, string> { ["action"] = "remove_user", ["user"] = "bob" }));

        await Http.AssertErrorPageAsync(response);
        Assert.Equal(HttpStatusCode.OK, await RefreshStatusAsync(tokens));
    }

    [Fact]
    public async Task Post_ByAUserWhoIsNoOperator_WithTheirOwnAntiforgeryToken_IsRefused()
    {
        var tokens = await ConnectedAsync("bob", "Bob's own client");
        var bob = await OperatorAsync("bob");
        var appsPage = await (await bob.SendAsync(new Uri("http://localhost/oauth/apps"))).Content.ReadAsStringAsync();
        var (name, value) = AccountPageSupport.AntiforgeryField(appsPage);

        var response = await bob.SendAsync(View, new FormUrlEncodedContent(new Dictionary<string, string> { [name] = value, ["action"] = "remove_user", ["user"] = "alice" }));

        await Http.AssertErrorPageAsync(response, HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.OK, await RefreshStatusAsync(tokens));
    }

    [Fact]
    public async Task UserPage_UnknownUser_IsA404Page()
    {
        var alice = await OperatorAsync();

        var response = await alice.SendAsync(new Uri(View + UserQuery("nobody-at-all")));

        var html = await Http.AssertErrorPageAsync(response, HttpStatusCode.NotFound);
        Assert.Contains("This server knows no such user", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Api_WithoutCredentials_IsTheSchemesChallenge_AndTheSignInCookieDoesNotOpenIt()
    {
        using var anonymous = await _http.SendAsync(Api(HttpMethod.Get, "users", caller: null));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(OperatorAppFixture.ApiScheme, Http.WwwAuthenticate(anonymous));

        // alice's browser, signed in and an operator on the pages, holds no credential of the API.
        var alice = await OperatorAsync();
        var withCookie = await alice.SendAsync(new Uri("http://localhost/oauth/operator/api/users"));
        Assert.Equal(HttpStatusCode.Unauthorized, withCookie.StatusCode);
    }

    [Fact]
    public async Task Api_CallerWhoIsNoOperator_GetsAccessDenied()
    {
        using var response = await _http.SendAsync(Api(HttpMethod.Get, "users", caller: "bob"));

        var error = await Http.AssertOAuthErrorAsync(response, HttpStatusCode.Forbidden, "access_denied");
        Assert.StartsWith("Only the server's operators may use this.", error.GetProperty("error_description").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Api_ListsUsersAndClients_ShowsAUser_AndRevokesTheirClient()
    {
        var tokens = await ConnectedAsync("bob", "API-listed client");

        using var users = await _http.SendAsync(Api(HttpMethod.Get, "users"));
        var list = await Http.ReadJsonAsync(users);
        var bob = list.EnumerateArray().Single(u => u.GetProperty("subject").GetString() == "bob");
        Assert.Equal("local", bob.GetProperty("method").GetString());
        Assert.True(bob.GetProperty("last_sign_in_at").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-5));
        Assert.Equal("no-store", users.Headers.CacheControl?.ToString());

        using var clients = await _http.SendAsync(Api(HttpMethod.Get, "clients"));
        var client = (await Http.ReadJsonAsync(clients)).EnumerateArray().Single(c => c.GetProperty("client_id").GetString() == tokens.ClientId);
        Assert.Equal("registered", client.GetProperty("kind").GetString());
        Assert.Equal("API-listed client", client.GetProperty("client_name").GetString());
        Assert.True(client.GetProperty("last_used_at").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-5));

        using var detail = await _http.SendAsync(Api(HttpMethod.Get, "users/bob"));
        var grant = (await Http.ReadJsonAsync(detail)).GetProperty("grants").EnumerateArray().Single(g => g.GetProperty("client_id").GetString() == tokens.ClientId);
        Assert.Equal("API-listed client", grant.GetProperty("client_name").GetString());
        Assert.Equal(["mcp:tools"], grant.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));

        using var revoke = await _http.SendAsync(Api(HttpMethod.Delete, "users/bob/clients/" + Uri.EscapeDataString(tokens.ClientId)));
        var result = await Http.ReadJsonAsync(revoke);
        Assert.Equal(1, result.GetProperty("grants_revoked").GetInt32());
        Assert.Equal(1, result.GetProperty("consents_forgotten").GetInt32());
        Assert.Equal(HttpStatusCode.BadRequest, await RefreshStatusAsync(tokens));
        Assert.Contains(fixture.Events, e => e.Event == McpSecurityEvent.OperatorAction && e.ClientId == tokens.ClientId && e.Detail == "revoke client by alice");
    }

    [Fact]
    public async Task Api_EndsALiveSessionOfTheUser_NotOneOfAnotherUser()
    {
        var tokens = await ConnectedAsync("bob", "Session client");
        using var initialize = await Http.SendHeadersAsync(_http, Http.McpInitialize("/mcp", tokens.AccessToken));
        var sessionId = initialize.Headers.GetValues("Mcp-Session-Id").Single();

        using var wrongUser = await _http.SendAsync(Api(HttpMethod.Delete, $"users/alice/sessions/{sessionId}"));
        Assert.Equal(0, (await Http.ReadJsonAsync(wrongUser)).GetProperty("sessions_ended").GetInt32());
        using var detail = await _http.SendAsync(Api(HttpMethod.Get, "users/bob"));
        var session = (await Http.ReadJsonAsync(detail)).GetProperty("sessions").EnumerateArray().Single(s => s.GetProperty("session_id").GetString() == sessionId);
        Assert.Equal("streamable_http", session.GetProperty("transport").GetString());

        Assert.False(fixture.EndOf(sessionId).IsCompleted);

        using var ended = await _http.SendAsync(Api(HttpMethod.Delete, $"users/bob/sessions/{sessionId}"));

        Assert.Equal(1, (await Http.ReadJsonAsync(ended)).GetProperty("sessions_ended").GetInt32());
        Assert.Equal(McpSessionEndReason.Ended, await fixture.EndOf(sessionId).WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task Api_RemoveUser_EndsEverythingAndTheUserLeavesTheList()
    {
        // carol is a user of her own, so removing her leaves the other tests' users alone.
        await using var app = new SampleApp(
            configure: o =>
            {
                o.AddUser("carol", "carol");
                o.Operators.Access.AllowedUsers.Add("alice");
                o.Operators.ApiSchemes.Add(OperatorAppFixture.ApiScheme);
            },
            services: s => s.AddAuthentication().AddScheme<AuthenticationSchemeOptions, OperatorKeyHandler>(OperatorAppFixture.ApiScheme, _ => { }));
        var http = app.CreateRawClient();
        var tokens = await new OAuthFlow(http).GetTokensAsync(Http.McpResource, user: "carol");

        using var removed = await http.SendAsync(Api(HttpMethod.Delete, "users/carol"));

        Assert.Equal(1, (await Http.ReadJsonAsync(removed)).GetProperty("grants_revoked").GetInt32());
        using var refreshed = await new OAuthFlow(http).RefreshAsync(tokens.ClientId, tokens.RefreshToken);
        Assert.Equal(HttpStatusCode.BadRequest, refreshed.StatusCode);
        using var users = await http.SendAsync(Api(HttpMethod.Get, "users"));
        Assert.DoesNotContain((await Http.ReadJsonAsync(users)).EnumerateArray(), u => u.GetProperty("subject").GetString() == "carol");
        using var gone = await http.SendAsync(Api(HttpMethod.Get, "users/carol"));
        await Http.AssertOAuthErrorAsync(gone, HttpStatusCode.NotFound, "invalid_request");
    }

    [Fact]
    public async Task NoOperators_TheViewAndItsApiAreNotThere()
    {
        await using var app = new SampleApp();
        var http = app.CreateRawClient();

        using var page = await http.GetAsync(new Uri("/oauth/operator", UriKind.Relative));
        using var api = await http.GetAsync(new Uri("/oauth/operator/api/users", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, api.StatusCode);
    }

    [Theory]
    [InlineData(true, "names McpSseAuth's sign-in cookie")]
    [InlineData(false, "Operators.Access names no operator")]
    public async Task Options_AnApiTheCookieOpensOrThatNobodyMayUse_FailAtStartupWithAFix(bool cookie, string message)
    {
        await using var app = new SampleApp(configure: o =>
        {
            o.Operators.ApiSchemes.Add(cookie ? McpOAuthDefaults.SignInCookieScheme : OperatorAppFixture.ApiScheme);
            if (cookie)
            {
                o.Operators.Access.AllowedUsers.Add("alice");
            }
        });

        var error = Assert.Throws<OptionsValidationException>(() => app.Server);

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    private static string GrantIdOf(string html, string clientId)
    {
        var section = GrantSection().Matches(html).Select(m => m.Value).Single(s => s.Contains("(" + clientId + ")", StringComparison.Ordinal));
        return GrantIdField().Match(section).Groups["id"].Value;
    }

    [GeneratedRegex("<li>[^<]*<span class=\"muted\">\\([^)]*\\) registered.*?</li>", RegexOptions.Singleline)]
    private static partial Regex ClientLine();

    [GeneratedRegex("<section class=\"grant\">.*?</section>", RegexOptions.Singleline)]
    private static partial Regex GrantSection();

    [GeneratedRegex("name=\"grant_id\" value=\"(?<id>[^\"]*)\"")]
    private static partial Regex GrantIdField();
}
