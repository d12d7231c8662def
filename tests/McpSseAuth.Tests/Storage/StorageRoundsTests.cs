using System.Net;
using McpSseAuth.Storage;
using McpSseAuth.Tests.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using TestHttp = McpSseAuth.Tests.Integration.Http;

namespace McpSseAuth.Tests.Storage;

/// <summary>
/// The storage calls of one request that need nothing of each other are started together, so a storage that queues its
/// work (SQLite's threads, Redis's connection) answers them in one round and one commit.
/// </summary>
public sealed class StorageRoundsTests
{
    [Fact]
    public async Task AFlowOfASignedInUser_WritesWhatNeedsNothingOfEachOtherTogether()
    {
        var (storage, started) = RecordedApp();
        await using var app = started;
        using var http = app.CreateRawClient();
        var browser = new Browser(http);
        var signIn = new OAuthFlow(http);
        await browser.AuthorizeAsync(signIn.AuthorizeUrl(await signIn.RegisterAsync(), TestHttp.McpResource), "alice", "alice");
        var flow = new OAuthFlow(http);
        var clientId = await flow.RegisterAsync();

        storage.Recording = true;
        var redirect = await browser.AuthorizeAsync(flow.AuthorizeUrl(clientId, TestHttp.McpResource), "alice", "alice");
        using var token = await flow.RedeemAsync(clientId, QueryHelpers.ParseQuery(redirect.Query)["code"].ToString());
        storage.Recording = false;

        Assert.Equal(HttpStatusCode.OK, token.StatusCode);
        var rounds = storage.ToString();
        // The authorization request: the pending request stored and the client kept while the user decides.
        AssertRound(storage, rounds, "Add pending", "Replace client");
        // The consent: what the user allowed (a first consent: added without a read), the client marked used and the code,
        // before the request is spent.
        AssertRound(storage, rounds, "Add consent", "Replace client", "Add code");
        // The token: the code read while the client is found.
        AssertRound(storage, rounds, "Get client", "Get code");
        // Then the refresh token and the grant, together. The consent's second look stays before the code is spent, so a look
        // that fails leaves the code redeemable (InterruptedWritesTests).
        AssertRound(storage, rounds, "Set refresh", "Set grant");
        // The consent is read twice in all: whether it is remembered (the authorization request), and once at the token
        // endpoint, after the grant is listed and before the code is spent (revoked, or given again after the code: refused).
        Assert.True(storage.Rounds.Sum(r => r.Count(c => c == "Get consent")) == 2, $"The consent is read twice; the rounds:\n{rounds}");
    }

    [Fact]
    public async Task ARefresh_ReadsTheToken_ItsGrantsRevocation_AndTheClientInOneRound()
    {
        var (storage, started) = RecordedApp();
        await using var app = started;
        using var http = app.CreateRawClient();
        var flow = new OAuthFlow(http);
        var tokens = await flow.GetTokensAsync(TestHttp.McpResource);
        var clientId = tokens.ClientId;
        using var first = await flow.RefreshAsync(clientId, tokens.RefreshToken);

        storage.Recording = true;
        using var second = await flow.RefreshAsync(clientId, await RefreshTokenOf(first));
        storage.Recording = false;

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var rounds = storage.ToString();
        // The refresh token names its grant, so whether the grant was revoked is read with the token itself.
        AssertRound(storage, rounds, "Get refresh", "Get revoked", "Get client");
        // The successor and the claim of the rotation's answer, together, before the token is spent (its own round).
        AssertRound(storage, rounds, "Set refresh", "Add successor");
        Assert.True(storage.Rounds.Count == 3, $"A refresh waits for three rounds; the rounds:\n{rounds}");
    }

    /// <summary>The sample on a storage that records the rounds of its calls (while told to).</summary>
    private static (RoundRecordingStorage Storage, SampleApp App) RecordedApp()
    {
        var storage = new RoundRecordingStorage(new InMemoryOAuthStorage(TimeProvider.System));
        return (storage, new SampleApp(services: s => s.AddMcpOAuthStorage(_ => storage)));
    }

    private static async Task<string> RefreshTokenOf(HttpResponseMessage response)
    {
        using var json = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("refresh_token").GetString()!;
    }

    private static void AssertRound(RoundRecordingStorage storage, string rounds, params string[] calls)
        => Assert.True(storage.Rounds.Any(r => calls.All(r.Contains)), $"No round holds {string.Join(" + ", calls)}; the rounds:\n{rounds}");
}
