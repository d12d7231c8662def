using System.Net;
using McpSseAuth.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using TestHttp = McpSseAuth.Tests.Integration.Http;

namespace McpSseAuth.Tests.EndToEnd;

/// <summary>
/// People who lose access lose it everywhere, within <see cref="McpOAuthSignInOptions.UserStatusInterval"/>: a local user removed
/// from or disabled in the configuration (reloaded, no restart), or turned away by the application's
/// <see cref="IMcpUserStatus"/>, finds refresh tokens refused with their grants revoked, access tokens refused, live SSE and
/// Streamable sessions closed, the sign-in cookie rejected and no way to sign in again; other users are left alone.
/// On real Kestrel, the sample server, a controlled clock.
/// </summary>
public sealed class UserLosesAccessTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly ReloadableConfiguration _configuration = new();
    private readonly SwitchableUserStatus _directory = new();
    private readonly SampleApp _app;

    public UserLosesAccessTests()
        => _app = new SampleApp(kestrel: true, services: s => s.AddSingleton<TimeProvider>(_clock).AddSingleton<IMcpUserStatus>(_directory));

    public Task InitializeAsync()
    {
        // carol lives in the configuration the operator edits; alice and bob are the sample's demo users.
        _configuration.Replace(Carol(disabled: false));
        ((IConfigurationBuilder)_app.Services.GetRequiredService<IConfiguration>()).Add(_configuration);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private static Dictionary<string, string?> Carol(bool disabled) => new()
    {
        ["McpOAuth:Users:0:UserName"] = "carol",
        ["McpOAuth:Users:0:PasswordHash"] = McpOAuthUser.HashPassword("carol", "carol"),
        ["McpOAuth:Users:0:Disabled"] = disabled ? "true" : "false",
    };

    private string Resource(string path) => new Uri(_app.BaseAddress, path).ToString().TrimEnd('/');

    private IMcpSessions Sessions => _app.Services.GetRequiredService<IMcpSessions>();

    private async Task<(Browser Browser, TokenSet Mcp, TokenSet Sse)> SignInAsync(HttpClient http, string user)
    {
        var browser = new Browser(http);
        var tokens = new List<TokenSet>();
        foreach (var path in new[] { "/mcp", "/sse" })
        {
            var flow = new OAuthFlow(http);
            var clientId = await flow.RegisterAsync();
            var location = await browser.AuthorizeAsync(flow.AuthorizeUrl(clientId, Resource(path)), user, user);
            var json = await TestHttp.ReadJsonAsync(await flow.RedeemAsync(clientId, TestHttp.Query(location)["code"]));
            tokens.Add(new TokenSet(clientId, json.GetProperty("access_token").GetString()!, json.GetProperty("refresh_token").GetString()!));
        }

        return (browser, tokens[0], tokens[1]);
    }

    private static async Task<string> InitializeStreamableAsync(HttpClient http, string token)
    {
        using var init = await McpWire.PostJsonAsync(http, "/mcp", McpWire.Initialize, token);
        Assert.Equal(HttpStatusCode.OK, init.StatusCode);
        return Assert.Single(init.Headers.GetValues("Mcp-Session-Id"));
    }

    [Theory]
    [InlineData("removed")]
    [InlineData("disabled")]
    public async Task LocalUser_RemovedOrDisabledInTheConfiguration_LosesEverything_WithoutARestart(string change)
    {
        using var http = _app.CreateRawClient();
        var (browser, mcp, sse) = await SignInAsync(http, "carol");
        var bob = await new OAuthFlow(http).GetTokensAsync(Resource("/mcp"), "bob");
        var session = await InitializeStreamableAsync(http, mcp.AccessToken);
        var (standalone, standaloneReader) = await McpWire.OpenStandaloneStreamAsync(http, mcp.AccessToken, session);
        var (stream, streamReader, _) = await McpWire.OpenSseAsync(http, sse.AccessToken);
        using (standalone)
        using (standaloneReader)
        using (stream)
        using (streamReader)
        {
            Assert.Equal(2, (await Sessions.WaitForCountAsync("carol", 2)).Count);

            _configuration.Replace(change == "removed" ? [] : Carol(disabled: true));

            // The next request of any kind finds out: here, the user's own MCP request.
            using var call = await McpWire.PostJsonAsync(http, "/mcp", McpWire.ListTools, mcp.AccessToken, session);
            Assert.Equal(HttpStatusCode.Unauthorized, call.StatusCode);
            await McpWire.ReadUntilClosedAsync(standaloneReader);
            await McpWire.ReadUntilClosedAsync(streamReader);
        }

        // Removed: the login page no longer knows the name. Disabled: the password is right, and the answer is 403.
        await AssertEverythingEndedAsync(http, browser, "carol", mcp, sse, change == "removed" ? "Too many hops" : "Unexpected page 403");
        await AssertUnaffectedAsync(http, bob);
    }

    [Fact]
    public async Task LocalUser_DisabledWhileOnlyAnSseStreamIsOpen_HasItClosedWithinTheInterval()
    {
        using var http = _app.CreateRawClient();
        var (_, _, sse) = await SignInAsync(http, "carol");
        var (stream, reader, _) = await McpWire.OpenSseAsync(http, sse.AccessToken);
        using (stream)
        using (reader)
        {
            await Sessions.WaitForCountAsync("carol", 1);
            _configuration.Replace(Carol(disabled: true));

            // No request at all: the sweep of live sessions ends it.
            _clock.Advance(new McpOAuthOptions().SignIn.UserStatusInterval);
            await McpWire.ReadUntilClosedAsync(reader);
        }

        var refresh = await new OAuthFlow(http).RefreshAsync(sse.ClientId, sse.RefreshToken);
        await TestHttp.AssertOAuthErrorAsync(refresh, HttpStatusCode.BadRequest, "invalid_grant");
    }

    [Fact]
    public async Task UserTurnedAwayByTheApplication_KeepsAccessForAtMostTheInterval_ThenLosesEverything()
    {
        using var http = _app.CreateRawClient();
        var (browser, mcp, sse) = await SignInAsync(http, "alice");
        var bob = await new OAuthFlow(http).GetTokensAsync(Resource("/mcp"), "bob");
        using (var before = await McpWire.PostJsonAsync(http, "/mcp", McpWire.Initialize, mcp.AccessToken))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        _directory.TurnAway("alice");
        // The answer is remembered for the interval: still served just before it ends...
        _clock.Advance(new McpOAuthOptions().SignIn.UserStatusInterval - TimeSpan.FromSeconds(1));
        using (var remembered = await McpWire.PostJsonAsync(http, "/mcp", McpWire.Initialize, mcp.AccessToken))
        {
            Assert.Equal(HttpStatusCode.OK, remembered.StatusCode);
        }

        // ...and refused once it has.
        _clock.Advance(TimeSpan.FromSeconds(2));
        await AssertEverythingEndedAsync(http, browser, "alice", mcp, sse, "Unexpected page 403");
        Assert.Contains("alice", _directory.Asked);
        await AssertUnaffectedAsync(http, bob);
    }

    private async Task AssertEverythingEndedAsync(HttpClient http, Browser browser, string user, TokenSet mcp, TokenSet sse, string refusedSignIn)
    {
        foreach (var token in new[] { mcp, sse })
        {
            using var call = await McpWire.PostJsonAsync(http, "/mcp", McpWire.Initialize, token.AccessToken);
            Assert.Equal(HttpStatusCode.Unauthorized, call.StatusCode);
            await TestHttp.AssertOAuthErrorAsync(await new OAuthFlow(http).RefreshAsync(token.ClientId, token.RefreshToken), HttpStatusCode.BadRequest, "invalid_grant");
        }

        Assert.Empty(await _app.Services.GetRequiredService<IMcpUserAccess>().ListGrantsAsync(user));
        Assert.Empty(await Sessions.WaitForCountAsync(user, 0));

        // The sign-in cookie is refused: the browser meets the login page, and cannot get past it as this user.
        using var apps = await browser.SendAsync(new Uri(_app.BaseAddress, "/oauth/apps"));
        Assert.Equal(HttpStatusCode.Redirect, apps.StatusCode);
        Assert.Contains("/oauth/login", apps.Headers.Location!.OriginalString, StringComparison.Ordinal);
        var flow = new OAuthFlow(http);
        var clientId = await flow.RegisterAsync();
        var attempt = await Assert.ThrowsAsync<InvalidOperationException>(() => new Browser(http).AuthorizeAsync(flow.AuthorizeUrl(clientId, Resource("/mcp")), user, user));
        Assert.Contains(refusedSignIn, attempt.Message, StringComparison.Ordinal);
    }

    private static async Task AssertUnaffectedAsync(HttpClient http, TokenSet other)
    {
        using var call = await McpWire.PostJsonAsync(http, "/mcp", McpWire.Initialize, other.AccessToken);
        Assert.Equal(HttpStatusCode.OK, call.StatusCode);
        using var refresh = await new OAuthFlow(http).RefreshAsync(other.ClientId, other.RefreshToken);
        Assert.Equal(HttpStatusCode.OK, refresh.StatusCode);
    }

    /// <summary>A configuration source the test edits, as an operator edits appsettings.json: each change reloads.</summary>
    private sealed class ReloadableConfiguration : ConfigurationProvider, IConfigurationSource
    {
        public IConfigurationProvider Build(IConfigurationBuilder builder) => this;

        public void Replace(Dictionary<string, string?> data)
        {
            Data = new Dictionary<string, string?>(data, StringComparer.OrdinalIgnoreCase);
            OnReload();
        }
    }

    /// <summary>The application's directory of users: everyone is active until turned away.</summary>
    private sealed class SwitchableUserStatus : IMcpUserStatus
    {
        private readonly HashSet<string> _away = [];

        public List<string> Asked { get; } = [];

        public void TurnAway(string subject)
        {
            lock (_away)
            {
                _away.Add(subject);
            }
        }

        public ValueTask<bool> IsActiveAsync(McpUserStatusContext user, CancellationToken cancellationToken)
        {
            lock (_away)
            {
                Asked.Add(user.Subject);
                return ValueTask.FromResult(!_away.Contains(user.Subject));
            }
        }
    }
}
