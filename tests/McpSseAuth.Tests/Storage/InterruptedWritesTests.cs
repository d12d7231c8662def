using System.Net;
using McpSseAuth.Storage;
using McpSseAuth.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using TestHttp = McpSseAuth.Tests.Integration.Http;

namespace McpSseAuth.Tests.Storage;

// Nothing is lost between two writes: a refresh, a code redemption or a consent interrupted at any storage call — the
// connection killed before the call reached the storage, or after it took effect with its answer lost — answers 503 and
// leaves the client (or the user's browser) something that still works when it tries again. Run on every real store.

public sealed class MemoryInterruptedWritesTests : InterruptedWritesContract
{
    protected override IMcpOAuthStorage CreateStorage() => new InMemoryOAuthStorage(TimeProvider.System);
}

public sealed class SqliteInterruptedWritesTests : InterruptedWritesContract
{
    protected override IMcpOAuthStorage CreateStorage() => TestDatabases.Sqlite(TimeProvider.System);
}

public sealed class RedisInterruptedWritesTests(RedisServer redis) : InterruptedWritesContract, IClassFixture<RedisServer>
{
    protected override IMcpOAuthStorage CreateStorage() => TestDatabases.Redis(redis, TimeProvider.System);
}

public abstract class InterruptedWritesContract : IAsyncLifetime
{
    private FaultInjectingStorage _storage = null!;
    private SampleApp _app = null!;
    private HttpClient _http = null!;

    /// <summary>Every storage call of the request in turn (a request makes fewer than this many), before and after it took effect.</summary>
    public static TheoryData<int, bool> Interruptions
    {
        get
        {
            var data = new TheoryData<int, bool>();
            for (var call = 1; call <= 12; call++)
            {
                data.Add(call, false);
                data.Add(call, true);
            }

            return data;
        }
    }

    protected abstract IMcpOAuthStorage CreateStorage();

    public Task InitializeAsync()
    {
        _storage = new FaultInjectingStorage(CreateStorage());
        _app = new SampleApp(services: s => s.AddMcpOAuthStorage(_ => _storage));
        _http = _app.CreateRawClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _app.DisposeAsync();
    }

    [Theory]
    [MemberData(nameof(Interruptions))]
    public async Task Refresh_InterruptedAtAnyStorageCall_LeavesTheClientATokenThatWorks(int call, bool afterApplying)
    {
        var flow = new OAuthFlow(_http);
        var tokens = await flow.GetTokensAsync(TestHttp.McpResource);

        _storage.Arm(call, afterApplying);
        using var interrupted = await flow.RefreshAsync(tokens.ClientId, tokens.RefreshToken);
        _storage.Arm(0, false);

        Assert.Contains(interrupted.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable });
        // The client retries with the token it holds, as it would after a 503 or a lost answer.
        var (access, refresh) = interrupted.StatusCode == HttpStatusCode.OK
            ? await PairAsync(interrupted)
            : await PairAsync(await flow.RefreshAsync(tokens.ClientId, tokens.RefreshToken));
        await AssertWorksAsync(flow, tokens.ClientId, access, refresh);
    }

    [Theory]
    [MemberData(nameof(Interruptions))]
    public async Task CodeRedemption_InterruptedAtAnyStorageCall_LeavesTheCodeRedeemable(int call, bool afterApplying)
    {
        var flow = new OAuthFlow(_http);
        var clientId = await flow.RegisterAsync();
        var code = (await flow.AuthorizeAsync(clientId, TestHttp.McpResource))["code"];

        _storage.Arm(call, afterApplying);
        using var interrupted = await flow.RedeemAsync(clientId, code);
        _storage.Arm(0, false);

        Assert.Contains(interrupted.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable });
        if (interrupted.StatusCode == HttpStatusCode.OK)
        {
            var (access, refresh) = await PairAsync(interrupted);
            await AssertWorksAsync(flow, clientId, access, refresh);
            return;
        }

        using var retry = await flow.RedeemAsync(clientId, code);
        if (afterApplying && retry.StatusCode == HttpStatusCode.BadRequest)
        {
            // The code's own spend took effect and only its answer was lost: a second use is a replay (RFC 6749 §4.1.2),
            // as with any atomic redemption. Nothing half-made remains: the user signs the client in again.
            await TestHttp.AssertOAuthErrorAsync(retry, HttpStatusCode.BadRequest, "invalid_grant");
            var again = await flow.GetTokensAsync(TestHttp.McpResource);
            await AssertWorksAsync(flow, again.ClientId, again.AccessToken, again.RefreshToken);
            return;
        }

        var pair = await PairAsync(retry);
        await AssertWorksAsync(flow, clientId, pair.Access, pair.Refresh);
    }

    [Theory]
    [MemberData(nameof(Interruptions))]
    public async Task Consent_InterruptedAtAnyStorageCall_CanBeSentAgain_AndItsCodeIsRedeemed(int call, bool afterApplying)
    {
        var flow = new OAuthFlow(_http);
        var clientId = await flow.RegisterAsync();
        var browser = new Browser(_http);
        var (consentUrl, form) = await ConsentFormAsync(browser, flow.AuthorizeUrl(clientId, TestHttp.McpResource));

        _storage.Arm(call, afterApplying);
        using var interrupted = await browser.SendAsync(consentUrl, new FormUrlEncodedContent(form));
        _storage.Arm(0, false);

        Assert.Contains(interrupted.StatusCode, new[] { HttpStatusCode.Redirect, HttpStatusCode.Found, HttpStatusCode.ServiceUnavailable });
        var answered = interrupted.StatusCode == HttpStatusCode.ServiceUnavailable
            ? await browser.SendAsync(consentUrl, new FormUrlEncodedContent(form))   // the user sends the form again
            : interrupted;
        if (afterApplying && answered.StatusCode == HttpStatusCode.BadRequest)
        {
            // The request's own spend took effect and only its answer was lost: it was answered, as with any atomic take,
            // and the page says to start again. Nothing half-made remains: the consent was kept, so starting again issues a
            // code at once.
            Assert.Contains("already answered", await answered.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            var location = await browser.AuthorizeAsync(flow.AuthorizeUrl(clientId, TestHttp.McpResource), "alice", "alice");
            var again = await PairAsync(await flow.RedeemAsync(clientId, TestHttp.Query(location)["code"]));
            await AssertWorksAsync(flow, clientId, again.Access, again.Refresh);
            return;
        }

        Assert.Equal(HttpStatusCode.Redirect, answered.StatusCode);
        var code = TestHttp.Query(answered.Headers.Location!)["code"];
        var pair = await PairAsync(await flow.RedeemAsync(clientId, code));
        await AssertWorksAsync(flow, clientId, pair.Access, pair.Refresh);
    }

    private static async Task<(Uri Url, Dictionary<string, string> Form)> ConsentFormAsync(Browser browser, Uri authorizeUrl)
        => (await browser.WalkAsync(authorizeUrl, "alice")).Consent ?? throw new InvalidOperationException("The consent page never came.");

    private static async Task<(string Access, string Refresh)> PairAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await TestHttp.ReadJsonAsync(response);
        return (json.GetProperty("access_token").GetString()!, json.GetProperty("refresh_token").GetString()!);
    }

    private async Task AssertWorksAsync(OAuthFlow flow, string clientId, string access, string refresh)
    {
        using (var mcp = await McpWire.PostJsonAsync(_http, "/mcp", TestHttp.InitializeBody, access))
        {
            Assert.Equal(HttpStatusCode.OK, mcp.StatusCode);
        }

        using var next = await flow.RefreshAsync(clientId, refresh);
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }
}
