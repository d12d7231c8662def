using System.Net;
using McpSseAuth.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace McpSseAuth.Tests.Integration;

/// <summary>
/// Fair shares of the flows in progress (<see cref="McpOAuthTokenOptions.MaxPendingAuthorizations"/>): one user, or one client
/// address, cannot take the whole bound; beyond a share the authorization page answers 429 with Retry-After, and the share
/// comes back as its flows end. Other users keep theirs.
/// </summary>
public sealed class PendingSharesTests
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);

    private SampleApp App(int bound) => new(
        configure: o =>
        {
            o.Tokens.MaxPendingAuthorizations = bound;
            o.AddUser("u1", "u1").AddUser("u2", "u2").AddUser("u3", "u3");
        },
        services: s => s.AddSingleton<TimeProvider>(_clock));

    /// <summary>Signs in as <paramref name="user"/> where asked, and returns the authorization endpoint's final answer.</summary>
    private static async Task<HttpResponseMessage> AuthorizeAsync(Browser browser, HttpClient http, string user)
    {
        var flow = new OAuthFlow(http);
        return (await browser.WalkAsync(flow.AuthorizeUrl(await flow.RegisterAsync(), Http.McpResource), user)).Response;
    }

    [Fact]
    public async Task OneUser_CannotTakeMoreThanTheirShare_OthersKeepTheirs_AndItComesBackAsFlowsEnd()
    {
        await using var app = App(bound: 1_000);   // a share of 10 per user
        using var http = app.CreateRawClient();
        var alice = new Browser(http);
        for (var i = 0; i < 10; i++)
        {
            using var consent = await AuthorizeAsync(alice, http, "alice");
            Assert.Equal(HttpStatusCode.OK, consent.StatusCode);
        }

        using var beyond = await AuthorizeAsync(alice, http, "alice");
        using var bobs = await AuthorizeAsync(new Browser(http), http, "bob");

        Assert.Equal(HttpStatusCode.TooManyRequests, beyond.StatusCode);
        Assert.True(beyond.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Contains("Too many sign-ins to applications are in progress", await beyond.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, bobs.StatusCode);

        _clock.Advance(TimeSpan.FromMinutes(11));
        using var later = await AuthorizeAsync(alice, http, "alice");
        Assert.Equal(HttpStatusCode.OK, later.StatusCode);
    }

    [Fact]
    public async Task AnsweredRequests_GiveTheirPlaceBack()
    {
        await using var app = App(bound: 1_000);   // a share of 10 per user
        using var http = app.CreateRawClient();

        for (var i = 0; i < 15; i++)
        {
            var flow = new OAuthFlow(http);
            var result = await flow.AuthorizeAsync(await flow.RegisterAsync(), Http.McpResource, decision: i % 2 == 0 ? "allow" : "deny");
            Assert.True(result.ContainsKey(i % 2 == 0 ? "code" : "error"));
        }
    }

    [Fact]
    public async Task OneAddress_CannotTakeMoreThanItsShare()
    {
        await using var app = App(bound: 20);   // a share of 1 per user and 2 per address
        using var http = app.CreateRawClient();

        using var first = await AuthorizeAsync(new Browser(http), http, "u1");
        using var second = await AuthorizeAsync(new Browser(http), http, "u2");
        using var third = await AuthorizeAsync(new Browser(http), http, "u3");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.NotNull(third.Headers.RetryAfter);
    }
}
