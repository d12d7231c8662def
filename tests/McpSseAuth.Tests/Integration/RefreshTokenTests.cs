using System.Net;
using McpSseAuth.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace McpSseAuth.Tests.Integration;

/// <summary>
/// Refresh-token safety on a controlled clock: rotation with a reuse window (a retry or a concurrent refresh gets the same new
/// pair), a replay after the window or by another client revokes the whole family, idle and absolute lifetimes.
/// </summary>
public sealed class RefreshTokenTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly LogCapture _logs = new();
    private readonly SampleApp _app;
    private readonly HttpClient _http;

    public RefreshTokenTests()
    {
        _app = new SampleApp(
            configure: o =>
            {
                o.Tokens.RefreshTokenLifetime = TimeSpan.FromDays(30);
                o.Tokens.RefreshTokenAbsoluteLifetime = TimeSpan.FromDays(45);
                o.Tokens.RefreshTokenReuseWindow = TimeSpan.FromSeconds(30);
            },
            services: s => s.AddSingleton<TimeProvider>(_clock).AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(_logs));
        _http = _app.CreateRawClient();
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _app.DisposeAsync();
    }

    private async Task<(string Access, string Refresh)> RefreshOkAsync(string clientId, string refreshToken)
    {
        var response = await new OAuthFlow(_http).RefreshAsync(clientId, refreshToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await Http.ReadJsonAsync(response);
        return (json.GetProperty("access_token").GetString()!, json.GetProperty("refresh_token").GetString()!);
    }

    private async Task<HttpStatusCode> CallMcpAsync(string accessToken)
    {
        using var response = await McpWire.PostJsonAsync(_http, "/mcp", Http.InitializeBody, accessToken);
        return response.StatusCode;
    }

    [Fact]
    public async Task ReplayInsideTheWindow_GetsTheSamePair_AndNothingIsRevoked()
    {
        var tokens = await new OAuthFlow(_http).GetTokensAsync(Http.McpResource);
        var first = await RefreshOkAsync(tokens.ClientId, tokens.RefreshToken);

        _clock.Advance(TimeSpan.FromSeconds(29));
        var again = await RefreshOkAsync(tokens.ClientId, tokens.RefreshToken);

        Assert.Equal(first, again);
        Assert.Equal(HttpStatusCode.OK, await CallMcpAsync(first.Access));
        var next = await RefreshOkAsync(tokens.ClientId, first.Refresh);
        Assert.NotEqual(first.Refresh, next.Refresh);
    }

    [Fact]
    public async Task ReplayInsideTheWindow_AfterTheSuccessorWasUsed_IsTheft_AndRevokesTheWholeFamily()
    {
        // RFC 9700 §4.14.2: once the client used the successor it has moved on; the old token in anyone's hands is stolen.
        var tokens = await new OAuthFlow(_http).GetTokensAsync(Http.McpResource);
        var first = await RefreshOkAsync(tokens.ClientId, tokens.RefreshToken);
        var second = await RefreshOkAsync(tokens.ClientId, first.Refresh);

        _clock.Advance(TimeSpan.FromSeconds(5));
        await Http.AssertOAuthErrorAsync(await new OAuthFlow(_http).RefreshAsync(tokens.ClientId, tokens.RefreshToken), HttpStatusCode.BadRequest, "invalid_grant");

        await Http.AssertOAuthErrorAsync(await new OAuthFlow(_http).RefreshAsync(tokens.ClientId, second.Refresh), HttpStatusCode.BadRequest, "invalid_grant");
        Assert.Equal(HttpStatusCode.Unauthorized, await CallMcpAsync(second.Access));
        var entry = Assert.Single(_logs.WithEventId(1308));
        Assert.Equal(tokens.ClientId, entry.Values["ClientId"]);
        Assert.Equal("alice", entry.Values["Subject"]);
    }

    [Fact]
    public async Task ReplayInsideTheWindow_BeforeTheSuccessorWasUsed_StillGetsTheSamePair_EvenAfterAnotherRetry()
    {
        var tokens = await new OAuthFlow(_http).GetTokensAsync(Http.McpResource);
        var first = await RefreshOkAsync(tokens.ClientId, tokens.RefreshToken);

        _clock.Advance(TimeSpan.FromSeconds(10));
        var retry = await RefreshOkAsync(tokens.ClientId, tokens.RefreshToken);
        _clock.Advance(TimeSpan.FromSeconds(10));
        var another = await RefreshOkAsync(tokens.ClientId, tokens.RefreshToken);

        Assert.Equal(first, retry);
        Assert.Equal(first, another);
        Assert.Empty(_logs.WithEventId(1308));
        Assert.Equal(HttpStatusCode.OK, await CallMcpAsync(first.Access));
    }

    [Fact]
    public async Task ReplayAfterTheWindow_RevokesTheWholeFamily()
    {
        var tokens = await new OAuthFlow(_http).GetTokensAsync(Http.McpResource);
        var first = await RefreshOkAsync(tokens.ClientId, tokens.RefreshToken);
        var second = await RefreshOkAsync(tokens.ClientId, first.Refresh);

        _clock.Advance(TimeSpan.FromSeconds(31));
        await Http.AssertOAuthErrorAsync(await new OAuthFlow(_http).RefreshAsync(tokens.ClientId, tokens.RefreshToken), HttpStatusCode.BadRequest, "invalid_grant");

        // Every descendant is dead: the newest refresh token and the newest access token.
        await Http.AssertOAuthErrorAsync(await new OAuthFlow(_http).RefreshAsync(tokens.ClientId, second.Refresh), HttpStatusCode.BadRequest, "invalid_grant");
        Assert.Equal(HttpStatusCode.Unauthorized, await CallMcpAsync(second.Access));
    }

    [Fact]
    public async Task ReplayInsideTheWindowByAnotherClient_RevokesTheFamily_AndGetsNothing()
    {
        var victim = await new OAuthFlow(_http).GetTokensAsync(Http.McpResource);
        var thief = await new OAuthFlow(_http).RegisterAsync();
        var first = await RefreshOkAsync(victim.ClientId, victim.RefreshToken);

        var stolen = await new OAuthFlow(_http).RefreshAsync(thief, victim.RefreshToken);

        var error = await Http.AssertOAuthErrorAsync(stolen, HttpStatusCode.BadRequest, "invalid_grant");
        Assert.False(error.TryGetProperty("access_token", out _));
        Assert.Equal(HttpStatusCode.Unauthorized, await CallMcpAsync(first.Access));
    }

    [Fact]
    public async Task ConcurrentRefreshesWithOneToken_AllGetTheSamePair_WhichKeepsWorking()
    {
        var tokens = await new OAuthFlow(_http).GetTokensAsync(Http.McpResource);

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => RefreshOkAsync(tokens.ClientId, tokens.RefreshToken)));

        Assert.Single(results.Distinct());
        Assert.Equal(HttpStatusCode.OK, await CallMcpAsync(results[0].Access));
        await RefreshOkAsync(tokens.ClientId, results[0].Refresh);
    }

    [Fact]
    public async Task WindowOff_AnImmediateReplayRevokesTheFamily()
    {
        await using var app = new SampleApp(configure: o => o.Tokens.RefreshTokenReuseWindow = TimeSpan.Zero);
        using var http = app.CreateRawClient();
        var flow = new OAuthFlow(http);
        var tokens = await flow.GetTokensAsync(Http.McpResource);
        var first = await Http.ReadJsonAsync(await flow.RefreshAsync(tokens.ClientId, tokens.RefreshToken));

        await Http.AssertOAuthErrorAsync(await flow.RefreshAsync(tokens.ClientId, tokens.RefreshToken), HttpStatusCode.BadRequest, "invalid_grant");
        await Http.AssertOAuthErrorAsync(await flow.RefreshAsync(tokens.ClientId, first.GetProperty("refresh_token").GetString()!), HttpStatusCode.BadRequest, "invalid_grant");
    }

    [Fact]
    public async Task RefreshingOften_NeverOutlivesTheAbsoluteLifetime()
    {
        var tokens = await new OAuthFlow(_http).GetTokensAsync(Http.McpResource);
        var refresh = tokens.RefreshToken;

        // Every 10 days, well inside the 30-day idle lifetime: fine until day 40.
        for (var day = 10; day <= 40; day += 10)
        {
            _clock.Advance(TimeSpan.FromDays(10));
            refresh = (await RefreshOkAsync(tokens.ClientId, refresh)).Refresh;
        }

        // Day 46: past the 45-day absolute lifetime, though used 6 days ago.
        _clock.Advance(TimeSpan.FromDays(6));
        await Http.AssertOAuthErrorAsync(await new OAuthFlow(_http).RefreshAsync(tokens.ClientId, refresh), HttpStatusCode.BadRequest, "invalid_grant");
    }

    [Fact]
    public async Task UnusedForTheIdleLifetime_Expires()
    {
        var tokens = await new OAuthFlow(_http).GetTokensAsync(Http.McpResource);
        _clock.Advance(TimeSpan.FromDays(29));
        var refreshed = await RefreshOkAsync(tokens.ClientId, tokens.RefreshToken);

        _clock.Advance(TimeSpan.FromDays(30) + TimeSpan.FromSeconds(1));

        await Http.AssertOAuthErrorAsync(await new OAuthFlow(_http).RefreshAsync(tokens.ClientId, refreshed.Refresh), HttpStatusCode.BadRequest, "invalid_grant");
    }
}
