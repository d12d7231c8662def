using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using McpSseAuth.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol.Client;
using TestHttp = McpSseAuth.Tests.Integration.Http;

namespace McpSseAuth.Tests.EndToEnd;

/// <summary>
/// Scale-out and durability with a real redis-server: two instances of the sample (in process, on real Kestrel, or as real
/// processes) share one Redis under a key prefix of their own and one issuer, and a test addresses instance A or B itself,
/// as a load balancer without sticky sessions may. A flow started on one finishes on the other, a code is redeemed once
/// even when both race for it, legacy SSE messages posted to B reach the stream held by A, a revocation on B ends A's
/// stream at once, a crashed instance loses nothing, a Redis outage answers 503 and heals by itself, and the embedded
/// default (SQLite) keeps everything across a restart.
/// </summary>
/// <remarks>
/// Tests that stop Redis or run the sample as processes (whose key prefix is the sample's default) own a Redis server; the
/// others share the class's under a prefix of their own.
/// </remarks>
public sealed class ScaleOutTests(RedisServer redis) : IClassFixture<RedisServer>
{
    // Generous bounds, for a loaded machine: they say "not hanging" and "recovers by itself", not how fast.
    private static readonly TimeSpan FailFast = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan Recovery = TimeSpan.FromSeconds(60);

    private const string WhoAmICall = """{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"whoami","arguments":{}}}""";
    private const string Initialized = """{"jsonrpc":"2.0","method":"notifications/initialized"}""";

    [Fact]
    public async Task ADpopProof_UsedOnOneInstance_IsRefusedWhenReplayedToTheOther()
    {
        // RFC 9449 §11.1: each jti once, remembered in the shared storage, so a proof captured on its way to A is no use at B.
        await using var cluster = await SampleCluster.StartAsync(redis);
        using var a = cluster[0].CreateRawClient();
        using var b = cluster[1].CreateRawClient();
        using var key = DpopKey.Es256();
        var tokens = await new Integration.DpopClient(a, key, cluster.Issuer).GetTokensAsync(cluster.Resource("/mcp"));
        var proof = key.Proof("POST", cluster.Resource("/mcp"), tokens.AccessToken);

        using var onA = await new Integration.DpopClient(a, key, cluster.Issuer).SendAsync(HttpMethod.Post, "/mcp", tokens.AccessToken, proof: proof);
        using var replayedOnB = await new Integration.DpopClient(b, key, cluster.Issuer).SendAsync(HttpMethod.Post, "/mcp", tokens.AccessToken, proof: proof);
        using var freshOnB = await new Integration.DpopClient(b, key, cluster.Issuer).SendAsync(HttpMethod.Post, "/mcp", tokens.AccessToken);

        Assert.Equal(HttpStatusCode.OK, onA.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, replayedOnB.StatusCode);
        Assert.Contains("invalid_dpop_proof", Integration.DpopClient.Challenge(replayedOnB, "DPoP"), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, freshOnB.StatusCode);
    }

    // ---- 1. a flow across instances ----

    [Fact]
    public async Task FlowStartedOnA_FinishedOnB_TokensWorkOnBoth_AndTheRefreshOnB_RotatesForA()
    {
        await using var cluster = await SampleCluster.StartAsync(redis);
        using var a = cluster[0].CreateRawClient();
        using var b = cluster[1].CreateRawClient();
        var onA = new OAuthFlow(a);
        var onB = new OAuthFlow(b);

        var clientId = await onA.RegisterAsync();
        var authorized = await onA.AuthorizeAsync(clientId, cluster.Resource("/mcp"));
        Assert.Equal(cluster.Issuer, authorized["iss"]);
        using var redeemed = await onB.RedeemAsync(clientId, authorized["code"], verifier: onA.Verifier);
        var tokens = await ReadTokensAsync(redeemed, clientId);

        Assert.Contains("user=alice", await WhoAmIAsync(a, tokens.AccessToken), StringComparison.Ordinal);
        Assert.Contains("client_id=" + clientId, await WhoAmIAsync(b, tokens.AccessToken), StringComparison.Ordinal);

        using var refreshedOnB = await onB.RefreshAsync(clientId, tokens.RefreshToken);
        var rotated = await ReadTokensAsync(refreshedOnB, clientId);
        Assert.NotEqual(tokens.RefreshToken, rotated.RefreshToken);
        Assert.Contains("user=alice", await WhoAmIAsync(a, rotated.AccessToken), StringComparison.Ordinal);

        using var refreshedOnA = await onA.RefreshAsync(clientId, rotated.RefreshToken);
        var again = await ReadTokensAsync(refreshedOnA, clientId);
        Assert.Contains("user=alice", await WhoAmIAsync(b, again.AccessToken), StringComparison.Ordinal);

        // Both instances see the one grant the code created, renewed by both refreshes.
        var grant = Assert.Single(await cluster.Service<IMcpUserAccess>(0).ListGrantsAsync("alice"));
        Assert.Equal(clientId, grant.ClientId);
        var seenByB = Assert.Single(await cluster.Service<IMcpUserAccess>(1).ListGrantsAsync("alice"));
        Assert.Equal((grant.GrantId, grant.ClientId, grant.LastUsedAt), (seenByB.GrantId, seenByB.ClientId, seenByB.LastUsedAt));
    }

    [Fact]
    public async Task InstanceGoneWithTheConsentPageOpen_TheUserAllowsOnB_AndTheClientGetsItsTokensThere()
    {
        await using var cluster = await SampleCluster.StartAsync(redis);
        using var a = cluster[0].CreateRawClient();
        using var b = cluster[1].CreateRawClient();
        var flow = new OAuthFlow(a);
        var clientId = await flow.RegisterAsync();

        // Signed in on A, the consent page open: the pending request, the sign-in cookie and the form's anti-forgery
        // token all come from A.
        var browser = new Browser(a);
        var url = flow.AuthorizeUrl(clientId, cluster.Resource("/mcp"));
        string consentPage;
        while (true)
        {
            var response = await browser.SendAsync(url);
            if (response.Headers.Location is { } next)
            {
                url = new Uri(url, next);
                continue;
            }

            var html = await response.Content.ReadAsStringAsync();
            if (html.Contains("name=\"decision\"", StringComparison.Ordinal))
            {
                consentPage = html;
                break;
            }

            var login = Browser.ParseForm(html) ?? throw new InvalidOperationException("Neither login nor consent: " + html);
            login.Hidden["username"] = "alice";
            login.Hidden["password"] = "alice";
            var signedIn = await browser.SendAsync(new Uri(url, login.Action), new FormUrlEncodedContent(login.Hidden));
            url = new Uri(url, signedIn.Headers.Location!);
        }

        await cluster[0].DisposeAsync();

        // The user clicks Allow; the load balancer sends it to B.
        var consent = Browser.ParseForm(consentPage)!.Value;
        consent.Hidden["decision"] = "allow";
        using var allowed = await browser.SendAsync(new Uri(b.BaseAddress!, consent.Action), new FormUrlEncodedContent(consent.Hidden));
        Assert.Equal(HttpStatusCode.Redirect, allowed.StatusCode);
        var query = TestHttp.Query(allowed.Headers.Location!);
        Assert.Equal(flow.State, query["state"]);
        Assert.Equal(cluster.Issuer, query["iss"]);

        using var redeemed = await new OAuthFlow(b).RedeemAsync(clientId, query["code"], verifier: flow.Verifier);
        var tokens = await ReadTokensAsync(redeemed, clientId);
        Assert.Contains("user=alice", await WhoAmIAsync(b, tokens.AccessToken), StringComparison.Ordinal);
    }

    // ---- 2. a code raced for on both instances ----

    [Fact]
    public async Task CodeRedeemedAtOnceOnAAndOnB_SucceedsExactlyOnce_ManyRounds()
    {
        const int Rounds = 25;
        await using var cluster = await SampleCluster.StartAsync(redis);
        using var a = cluster[0].CreateRawClient();
        using var b = cluster[1].CreateRawClient();
        var clientId = await new OAuthFlow(a).RegisterAsync();
        var browser = new Browser(a);   // signed in once, as a user's browser stays
        var wins = new int[2];

        for (var round = 0; round < Rounds; round++)
        {
            var flow = new OAuthFlow(a);
            var code = TestHttp.Query(await browser.AuthorizeAsync(flow.AuthorizeUrl(clientId, cluster.Resource("/mcp")), "alice", "alice"))["code"];
            var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Task<HttpResponseMessage> RedeemAsync(HttpClient http) => Task.Run(async () =>
            {
                await go.Task;
                return await new OAuthFlow(http).RedeemAsync(clientId, code, verifier: flow.Verifier);
            });

            var racing = new[] { RedeemAsync(a), RedeemAsync(b) };
            go.SetResult();
            var responses = await Task.WhenAll(racing);
            try
            {
                var statuses = string.Join(", ", responses.Select(r => (int)r.StatusCode));
                Assert.True(responses.Count(r => r.StatusCode == HttpStatusCode.OK) == 1, $"Round {round}: {statuses}");
                var winner = Array.FindIndex(responses, r => r.StatusCode == HttpStatusCode.OK);
                wins[winner]++;
                Assert.Contains("access_token", await responses[winner].Content.ReadAsStringAsync(), StringComparison.Ordinal);
                await TestHttp.AssertOAuthErrorAsync(responses[1 - winner], HttpStatusCode.BadRequest, "invalid_grant");
            }
            finally
            {
                foreach (var response in responses)
                {
                    response.Dispose();
                }
            }
        }

        Assert.Equal(Rounds, wins.Sum());
    }

    // ---- 3. legacy SSE across instances ----

    [Fact]
    public async Task LegacySse_StreamOnA_MessagesPostedToB_AreAnsweredOnTheStream_OtherUserAndUnknownSessionRefused()
    {
        await using var cluster = await SampleCluster.StartAsync(redis);
        using var a = cluster[0].CreateRawClient();
        using var b = cluster[1].CreateRawClient();
        var alice = await new OAuthFlow(a).GetTokensAsync(cluster.Resource("/sse"), "alice");
        var bob = await new OAuthFlow(b).GetTokensAsync(cluster.Resource("/sse"), "bob");

        var (stream, reader, messagePath) = await McpWire.OpenSseAsync(a, alice.AccessToken);
        using (stream)
        using (reader)
        {
            using (var init = await McpWire.PostJsonAsync(b, messagePath, McpWire.Initialize, alice.AccessToken))
            {
                Assert.True(init.StatusCode == HttpStatusCode.Accepted, $"initialize at B: {(int)init.StatusCode} {await init.Content.ReadAsStringAsync()}");
            }

            var initialized = await McpWire.ReadDataEventAsync(reader);
            Assert.Contains("\"protocolVersion\"", initialized, StringComparison.Ordinal);
            using (var notified = await McpWire.PostJsonAsync(b, messagePath, Initialized, alice.AccessToken))
            {
                Assert.Equal(HttpStatusCode.Accepted, notified.StatusCode);
            }

            // Bob's token, at B, for Alice's session held by A: refused at B, and nothing of it reaches the stream.
            using (var asBob = await McpWire.PostJsonAsync(b, messagePath, Echo(66, "sent by bob"), bob.AccessToken))
            {
                Assert.Equal(HttpStatusCode.Forbidden, asBob.StatusCode);
                Assert.Contains("another user or another client", await asBob.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }

            using (var call = await McpWire.PostJsonAsync(b, messagePath, WhoAmICall, alice.AccessToken))
            {
                Assert.Equal(HttpStatusCode.Accepted, call.StatusCode);
            }

            using var answer = JsonDocument.Parse(await McpWire.ReadDataEventAsync(reader));
            var whoami = answer.RootElement;
            Assert.Equal(3, whoami.GetProperty("id").GetInt32());
            Assert.Contains("user=alice", whoami.GetProperty("result").GetRawText(), StringComparison.Ordinal);
            Assert.Contains("client_id=" + alice.ClientId, whoami.GetProperty("result").GetRawText(), StringComparison.Ordinal);

            using (var last = await McpWire.PostJsonAsync(b, messagePath, Echo(4, "last"), alice.AccessToken))
            {
                Assert.Equal(HttpStatusCode.Accepted, last.StatusCode);
            }

            var echoed = await McpWire.ReadDataEventAsync(reader);
            Assert.Contains("\"id\":4", echoed, StringComparison.Ordinal);
            Assert.DoesNotContain("sent by bob", echoed, StringComparison.Ordinal);

            // The session runs on A only; B knows of it only through the directory.
            Assert.Single(await cluster.Service<IMcpSessions>(0).WaitForCountAsync("alice", 1));
            Assert.Empty(cluster.Service<IMcpSessions>(1).ListForUser("alice"));

            using var unknown = await McpWire.PostJsonAsync(b, "/message?sessionId=" + Guid.NewGuid().ToString("N"), McpWire.ListTools, alice.AccessToken);
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        }
    }

    [Fact]
    public async Task SdkClient_LegacySse_WithGetsToAAndPostsToB_SignsInAndCallsTools()
    {
        await using var cluster = await SampleCluster.StartAsync(redis);
        var postsToB = new PostsElsewhere(cluster[0].BaseAddress, cluster[1].BaseAddress) { InnerHandler = new SocketsHttpHandler() };
        using var http = new HttpClient(postsToB);

        await using (var client = await SdkClients.ConnectAsync(new Uri(cluster.Resource("/sse")), HttpTransportMode.Sse, "bob", http))
        {
            var tools = await client.ListToolsAsync();
            Assert.Contains(tools, t => t.Name == "whoami");
            Assert.Contains("user=bob", SdkClients.TextOf(await client.CallToolAsync("whoami")), StringComparison.Ordinal);
            Assert.Equal("héllo <b>", SdkClients.TextOf(await client.CallToolAsync("echo", new Dictionary<string, object?> { ["message"] = "héllo <b>" })));

            // The stream is A's; registration, the code's redemption and every message went to B.
            Assert.Single(await cluster.Service<IMcpSessions>(0).WaitForCountAsync("bob", 1));
            Assert.Empty(cluster.Service<IMcpSessions>(1).ListForUser("bob"));
            Assert.Contains("/oauth/register", postsToB.Redirected);
            Assert.Contains("/oauth/token", postsToB.Redirected);
            Assert.True(postsToB.Redirected.Count(p => p == "/message") >= 4, "Messages posted to B: " + string.Join(", ", postsToB.Redirected));
        }
    }

    // ---- 4. revocation on B ends A's stream ----

    [Theory]
    [InlineData("revocation endpoint")]
    [InlineData("IMcpUserAccess")]
    public async Task RevokedOnB_EndsTheSseStreamOnA_AtOnce_AndAGivesTheOldAccessToken401(string how)
    {
        await using var cluster = await SampleCluster.StartAsync(redis);
        using var a = cluster[0].CreateRawClient();
        using var b = cluster[1].CreateRawClient();
        var tokens = await new OAuthFlow(a).GetTokensAsync(cluster.Resource("/sse"), "alice");
        var (stream, reader, _) = await McpWire.OpenSseAsync(a, tokens.AccessToken);
        using (stream)
        using (reader)
        {
            Assert.Single(await cluster.Service<IMcpSessions>(0).WaitForCountAsync("alice", 1));
            if (how == "IMcpUserAccess")
            {
                var revoked = await cluster.Service<IMcpUserAccess>(1).RevokeClientAsync("alice", tokens.ClientId);
                Assert.Equal(1, revoked.GrantsRevoked);
            }
            else
            {
                using var revoked = await b.PostAsync("/oauth/revoke", new FormUrlEncodedContent(new Dictionary<string, string> { ["client_id"] = tokens.ClientId, ["token"] = tokens.RefreshToken }));
                Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
            }

            // Closed by A within seconds (told over the bus), not at A's next sweep, a minute or more away.
            await McpWire.ReadUntilClosedAsync(reader);
        }

        Assert.Empty(await cluster.Service<IMcpSessions>(0).WaitForCountAsync("alice", 0));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/sse");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", tokens.AccessToken);
        request.Headers.Accept.ParseAdd("text/event-stream");
        using var reopened = await a.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.Unauthorized, reopened.StatusCode);
        using var refreshed = await new OAuthFlow(a).RefreshAsync(tokens.ClientId, tokens.RefreshToken);
        await TestHttp.AssertOAuthErrorAsync(refreshed, HttpStatusCode.BadRequest, "invalid_grant");
    }

    // ---- 5. an instance killed and started again ----

    [Fact]
    public async Task InstanceKilledMidRun_TheOtherCarriesOn_AndTheRestartedOneKnowsEveryone()
    {
        await using var ownRedis = new RedisServer();
        await ownRedis.InitializeAsync();
        var ports = LoopbackPorts.Free(2);
        var issuer = "http://127.0.0.1:" + ports[0].ToString(CultureInfo.InvariantCulture);
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__Redis"] = ownRedis.ConnectionString,
            ["McpOAuth__Issuer"] = issuer,
            ["McpOAuth__Registration__MaxPerAddress"] = "1000",
        };
        await using var processA = new SampleProcess(ports[0], environment);
        await using var processB = new SampleProcess(ports[1], environment);
        await processA.StartAsync();
        await processB.StartAsync();
        using var a = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = processA.BaseAddress };
        using var b = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = processB.BaseAddress };

        try
        {
            var flow = new OAuthFlow(a);
            var clientId = await flow.RegisterAsync();
            var browser = new Browser(a);
            var code = TestHttp.Query(await browser.AuthorizeAsync(flow.AuthorizeUrl(clientId, issuer + "/mcp"), "alice", "alice"))["code"];
            using var redeemed = await flow.RedeemAsync(clientId, code);
            var tokens = await ReadTokensAsync(redeemed, clientId);
            Assert.Contains("user=alice", await WhoAmIAsync(a, tokens.AccessToken), StringComparison.Ordinal);
            // A legacy SSE stream A holds when it dies.
            var sse = await new OAuthFlow(a).GetTokensAsync(issuer + "/sse", "bob");
            var (stream, reader, messagePath) = await McpWire.OpenSseAsync(a, sse.AccessToken);
            using (stream)
            using (reader)
            {
                using var relayed = await McpWire.PostJsonAsync(b, messagePath, McpWire.Initialize, sse.AccessToken);
                Assert.Equal(HttpStatusCode.Accepted, relayed.StatusCode);

                await processA.KillAsync();

                // B still finds the session listed, but its holder does not answer: 404, so the client opens a new stream.
                using var orphaned = await McpWire.PostJsonAsync(b, messagePath, McpWire.ListTools, sse.AccessToken);
                Assert.Equal(HttpStatusCode.NotFound, orphaned.StatusCode);
            }

            using var refreshedOnB = await new OAuthFlow(b).RefreshAsync(clientId, tokens.RefreshToken);
            var rotated = await ReadTokensAsync(refreshedOnB, clientId);
            Assert.Contains("user=alice", await WhoAmIAsync(b, rotated.AccessToken), StringComparison.Ordinal);

            await processA.StartAsync();

            // Tokens issued before and during A's absence work on A; the rotated refresh token too.
            Assert.Contains("user=alice", await WhoAmIAsync(a, rotated.AccessToken), StringComparison.Ordinal);
            Assert.Contains("user=alice", await WhoAmIAsync(a, tokens.AccessToken), StringComparison.Ordinal);
            using var refreshedOnA = await flow.RefreshAsync(clientId, rotated.RefreshToken);
            await ReadTokensAsync(refreshedOnA, clientId);

            // The client is still registered and Alice still signed in: a new authorization on A asks for no password.
            var again = new OAuthFlow(a);
            var newCode = await AuthorizeSignedInAsync(browser, again.AuthorizeUrl(clientId, issuer + "/mcp"));
            using var redeemedAgain = await again.RedeemAsync(clientId, newCode);
            await ReadTokensAsync(redeemedAgain, clientId);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new InvalidOperationException($"{e.Message}\n--- instance A:\n{processA.Output}\n--- instance B:\n{processB.Output}", e);
        }
    }

    // ---- 6. Redis stopped and started ----

    [Fact]
    public async Task RedisDown_Answers503TemporarilyUnavailable_ThenRecoversByItself_WithNothingLost()
    {
        await using var ownRedis = new RedisServer();
        await ownRedis.InitializeAsync();
        await using var cluster = await SampleCluster.StartAsync(ownRedis);
        using var a = cluster[0].CreateRawClient();
        using var b = cluster[1].CreateRawClient();
        var tokens = await new OAuthFlow(a).GetTokensAsync(cluster.Resource("/mcp"), "alice");
        var sessionId = await InitializeStreamableAsync(a, tokens.AccessToken);
        var grantBefore = Assert.Single(await cluster.Service<IMcpUserAccess>(1).ListGrantsAsync("alice"));

        await ownRedis.StopAsync();

        var clock = Stopwatch.StartNew();
        using (var refresh = await new OAuthFlow(b).RefreshAsync(tokens.ClientId, tokens.RefreshToken))
        {
            await AssertTemporarilyUnavailableAsync(refresh);
        }

        using (var call = await McpWire.PostJsonAsync(a, "/mcp", WhoAmICall, tokens.AccessToken, sessionId))
        {
            await AssertTemporarilyUnavailableAsync(call);
        }

        using (var initialize = await McpWire.PostJsonAsync(b, "/mcp", McpWire.Initialize, tokens.AccessToken))
        {
            await AssertTemporarilyUnavailableAsync(initialize);
        }

        using (var register = await b.PostAsync("/oauth/register", new StringContent(
            """{"client_name":"During the outage","redirect_uris":["http://127.0.0.1:7777/callback"],"token_endpoint_auth_method":"none"}""",
            System.Text.Encoding.UTF8,
            "application/json")))
        {
            await AssertTemporarilyUnavailableAsync(register);
        }

        Assert.True(clock.Elapsed < FailFast * 4, $"Four requests took {clock.Elapsed.TotalSeconds:0.0} s to fail.");

        await ownRedis.StartAsync();

        // Both instances serve again by themselves (their multiplexers reconnect); until then they answer 503, never 500.
        foreach (var http in new[] { a, b })
        {
            await EventuallyAsync(() => McpWire.PostJsonAsync(http, "/mcp", McpWire.Initialize, tokens.AccessToken));
        }

        // Nothing was half-written: the refresh token refused during the outage is still unspent, the grant still there.
        using var refreshed = await new OAuthFlow(b).RefreshAsync(tokens.ClientId, tokens.RefreshToken);
        var rotated = await ReadTokensAsync(refreshed, tokens.ClientId);
        Assert.Contains("user=alice", await WhoAmIAsync(a, rotated.AccessToken), StringComparison.Ordinal);
        var grantAfter = Assert.Single(await cluster.Service<IMcpUserAccess>(0).ListGrantsAsync("alice"));
        Assert.Equal(grantBefore.GrantId, grantAfter.GrantId);
        Assert.Equal(tokens.ClientId, grantAfter.ClientId);
        using var refreshedOnA = await new OAuthFlow(a).RefreshAsync(tokens.ClientId, rotated.RefreshToken);
        await ReadTokensAsync(refreshedOnA, tokens.ClientId);

        // The bus came back too (subscriptions renewed by themselves, shortly after commands work again): a message posted
        // to B reaches A's stream — until A's subscription is back, B answers 404 after its relay timeout and the client
        // opens a new stream, as a real one would — and a revocation on B closes it.
        var sse = await new OAuthFlow(a).GetTokensAsync(cluster.Resource("/sse"), "bob");
        var relayed = Stopwatch.StartNew();
        var (stream, reader, messagePath) = await McpWire.OpenSseAsync(a, sse.AccessToken);
        while (true)
        {
            using var init = await McpWire.PostJsonAsync(b, messagePath, McpWire.Initialize, sse.AccessToken);
            if (init.StatusCode == HttpStatusCode.Accepted)
            {
                break;
            }

            Assert.Equal(HttpStatusCode.NotFound, init.StatusCode);
            Assert.True(relayed.Elapsed < Recovery, $"B still cannot hand messages to A after {relayed.Elapsed.TotalSeconds:0} s with Redis back.");
            reader.Dispose();
            stream.Dispose();
            (stream, reader, messagePath) = await McpWire.OpenSseAsync(a, sse.AccessToken);
        }

        using (stream)
        using (reader)
        {
            Assert.Contains("\"protocolVersion\"", await McpWire.ReadDataEventAsync(reader), StringComparison.Ordinal);
            Assert.Equal(1, (await cluster.Service<IMcpUserAccess>(1).RevokeClientAsync("bob", sse.ClientId)).GrantsRevoked);
            await McpWire.ReadUntilClosedAsync(reader);
        }
    }

    // ---- 7. the embedded default: SQLite ----

    [Fact]
    public async Task Sqlite_ServerStoppedAndStarted_KeepsTheClient_ItsRefreshToken_ItsAccessTokens_AndTheSignIn()
    {
        var folder = Path.Combine(Path.GetTempPath(), "mcpsseauth-scale-" + Guid.NewGuid().ToString("N"));
        var database = Path.Combine(folder, "mcp-oauth.db");
        var port = LoopbackPorts.Free();
        var issuer = "http://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture);
        SampleApp Start() => new(kestrel: true, port: port, configure: o => o.Issuer = new Uri(issuer), services: s => s.AddMcpOAuthSqlite(database));
        // One client and one browser for both runs, as a user's would be.
        using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = new Uri(issuer) };
        var browser = new Browser(http);
        try
        {
            TokenSet tokens;
            await using (var first = Start())
            {
                _ = first.BaseAddress;   // starts it
                var flow = new OAuthFlow(http);
                var clientId = await flow.RegisterAsync();
                var code = TestHttp.Query(await browser.AuthorizeAsync(flow.AuthorizeUrl(clientId, issuer + "/mcp"), "alice", "alice"))["code"];
                using var redeemed = await flow.RedeemAsync(clientId, code);
                tokens = await ReadTokensAsync(redeemed, clientId);
                Assert.Contains("user=alice", await WhoAmIAsync(http, tokens.AccessToken), StringComparison.Ordinal);
            }

            await using (var second = Start())
            {
                Assert.Equal(new Uri(issuer), second.BaseAddress);
                // Signed with a key the first run created: it was kept, and so was the grant.
                Assert.Contains("user=alice", await WhoAmIAsync(http, tokens.AccessToken), StringComparison.Ordinal);
                using var refreshed = await new OAuthFlow(http).RefreshAsync(tokens.ClientId, tokens.RefreshToken);
                var rotated = await ReadTokensAsync(refreshed, tokens.ClientId);
                Assert.Contains("client_id=" + tokens.ClientId, await WhoAmIAsync(http, rotated.AccessToken), StringComparison.Ordinal);
                Assert.Equal(tokens.ClientId, Assert.Single(await second.Services.GetRequiredService<IMcpUserAccess>().ListGrantsAsync("alice")).ClientId);

                // The browser's sign-in cookie is still good (the Data Protection keys were kept too), the client still known.
                var again = new OAuthFlow(http);
                var code = await AuthorizeSignedInAsync(browser, again.AuthorizeUrl(tokens.ClientId, issuer + "/mcp"));
                using var redeemedAgain = await again.RedeemAsync(tokens.ClientId, code);
                await ReadTokensAsync(redeemedAgain, tokens.ClientId);
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    // ---- what a review found: Redis refusing writes, an instance started during an outage, refreshes racing ----

    [Fact]
    public async Task RedisOutOfMemory_Answers503_NotA500_AndServesAgainOnceItHasRoom()
    {
        await using var ownRedis = new RedisServer();
        await ownRedis.InitializeAsync();
        await using var cluster = await SampleCluster.StartAsync(ownRedis, instances: 1);
        using var http = cluster[0].CreateRawClient();
        var flow = new OAuthFlow(http);
        var tokens = await flow.GetTokensAsync(cluster.Resource("/mcp"));

        await using var admin = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(ownRedis.ConnectionString + ",allowAdmin=true");
        var server = admin.GetServer(admin.GetEndPoints()[0]);
        await server.ConfigSetAsync("maxmemory-policy", "noeviction");
        await server.ConfigSetAsync("maxmemory", "1");
        try
        {
            // An error reply, not a lost connection: still the storage's fault, still 503, and the token is not spent.
            await AssertTemporarilyUnavailableAsync(await flow.RefreshAsync(tokens.ClientId, tokens.RefreshToken));
        }
        finally
        {
            await server.ConfigSetAsync("maxmemory", "0");
        }

        using var refreshed = await flow.RefreshAsync(tokens.ClientId, tokens.RefreshToken);
        await ReadTokensAsync(refreshed, tokens.ClientId);
    }

    [Fact]
    public async Task InstanceStartedWhileRedisIsDown_Starts_Answers503_AndServesOnceRedisIsUp()
    {
        await using var ownRedis = new RedisServer();
        await ownRedis.InitializeAsync();
        await ownRedis.StopAsync();

        await using var cluster = await SampleCluster.StartAsync(ownRedis, instances: 1);
        using var http = cluster[0].CreateRawClient();
        await AssertTemporarilyUnavailableAsync(await http.PostAsync("/oauth/register", JsonContent("""{"redirect_uris":["http://127.0.0.1:7777/callback"]}""")));
        await AssertTemporarilyUnavailableAsync(await http.GetAsync("/oauth/jwks"));

        await ownRedis.StartAsync();
        await EventuallyAsync(() => http.GetAsync("/oauth/jwks"));
        var tokens = await new OAuthFlow(http).GetTokensAsync(cluster.Resource("/mcp"));
        Assert.Contains("user=alice", await WhoAmIAsync(http, tokens.AccessToken), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ManyGrantsOfOneClient_RefreshedAtOnceOnBothInstances_AllSucceed()
    {
        await using var cluster = await SampleCluster.StartAsync(redis);
        using var a = cluster[0].CreateRawClient();
        using var b = cluster[1].CreateRawClient();
        var clientId = await new OAuthFlow(a).RegisterAsync();
        var granted = new List<TokenSet>();
        for (var i = 0; i < 24; i++)
        {
            var flow = new OAuthFlow(a);
            var code = (await flow.AuthorizeAsync(clientId, cluster.Resource("/mcp"), user: i % 2 == 0 ? "alice" : "bob"))["code"];
            using var redeemed = await flow.RedeemAsync(clientId, code);
            granted.Add(await ReadTokensAsync(redeemed, clientId));
        }

        // One client, many grants, refreshed all at once on two instances: no 503 from writes racing for the client's entry.
        var answers = await Task.WhenAll(granted.Select((t, i) => new OAuthFlow(i % 2 == 0 ? a : b).RefreshAsync(clientId, t.RefreshToken)));
        foreach (var answer in answers)
        {
            using (answer)
            {
                await ReadTokensAsync(answer, clientId);
            }
        }
    }

    // ---- helpers ----

    private static StringContent JsonContent(string json) => new(json, System.Text.Encoding.UTF8, "application/json");

    private static string Echo(int id, string message)
        => """{"jsonrpc":"2.0","id":""" + id.ToString(CultureInfo.InvariantCulture) + ""","method":"tools/call","params":{"name":"echo","arguments":{"message":""" + JsonSerializer.Serialize(message) + "}}}";

    private static async Task<TokenSet> ReadTokensAsync(HttpResponseMessage response, string clientId)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"The token endpoint answered {(int)response.StatusCode}: {body}");
        using var json = JsonDocument.Parse(body);
        return new TokenSet(clientId, json.RootElement.GetProperty("access_token").GetString()!, json.RootElement.GetProperty("refresh_token").GetString()!);
    }

    private static async Task<string> InitializeStreamableAsync(HttpClient http, string token)
    {
        using var init = await McpWire.PostJsonAsync(http, "/mcp", McpWire.Initialize, token);
        Assert.True(init.StatusCode == HttpStatusCode.OK, $"initialize answered {(int)init.StatusCode}: {await init.Content.ReadAsStringAsync()}");
        var sessionId = Assert.Single(init.Headers.GetValues("Mcp-Session-Id"));
        using var initialized = await McpWire.PostJsonAsync(http, "/mcp", Initialized, token, sessionId);
        Assert.Equal(HttpStatusCode.Accepted, initialized.StatusCode);
        return sessionId;
    }

    /// <summary>A Streamable HTTP session on the instance, and the whoami tool called on it; returns the tool's answer.</summary>
    private static async Task<string> WhoAmIAsync(HttpClient http, string token)
    {
        var sessionId = await InitializeStreamableAsync(http, token);
        using var call = await McpWire.PostJsonAsync(http, "/mcp", WhoAmICall, token, sessionId);
        var body = await call.Content.ReadAsStringAsync();
        Assert.True(call.StatusCode == HttpStatusCode.OK, $"tools/call answered {(int)call.StatusCode}: {body}");
        return body;
    }

    /// <summary>503 with Retry-After and the RFC 6749 error as JSON: no 500, no stack trace.</summary>
    private static async Task AssertTemporarilyUnavailableAsync(HttpResponseMessage response)
    {
        var body = await TestHttp.AssertOAuthErrorAsync(response, HttpStatusCode.ServiceUnavailable, "temporarily_unavailable");
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.DoesNotContain("Exception", body.GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", body.GetRawText(), StringComparison.Ordinal);
    }

    /// <summary>Sends until the answer is no longer 503 (each 503 a proper one), within <see cref="Recovery"/>; expects 200.</summary>
    private static async Task EventuallyAsync(Func<Task<HttpResponseMessage>> send)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            using var response = await send();
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return;
            }

            await AssertTemporarilyUnavailableAsync(response);
            Assert.True(clock.Elapsed < Recovery, $"Still 503 after {clock.Elapsed.TotalSeconds:0} s with Redis back.");
            await Task.Delay(200);
        }
    }

    /// <summary>
    /// Walks an authorization with a browser that is still signed in: the login page must not come; the consent page is
    /// accepted if it is shown. Returns the code the client receives.
    /// </summary>
    private static async Task<string> AuthorizeSignedInAsync(Browser browser, Uri authorizeUrl)
    {
        var url = authorizeUrl;
        HttpContent? form = null;
        for (var hop = 0; hop < 10; hop++)
        {
            using var response = await browser.SendAsync(url, form);
            form = null;
            if (response.StatusCode is HttpStatusCode.Found or HttpStatusCode.SeeOther or HttpStatusCode.RedirectKeepVerb or HttpStatusCode.Moved)
            {
                var location = new Uri(url, response.Headers.Location!);
                if (location.GetLeftPart(UriPartial.Authority) != url.GetLeftPart(UriPartial.Authority))
                {
                    return TestHttp.Query(location)["code"];
                }

                Assert.False(location.AbsolutePath == "/oauth/login", "Sent to the login page: the sign-in was lost.");
                url = location;
                continue;
            }

            var html = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} at {url}: {html}");
            Assert.DoesNotContain("name=\"password\"", html, StringComparison.Ordinal);
            var consent = Browser.ParseForm(html) ?? throw new InvalidOperationException("Neither a redirect nor a consent page: " + html);
            var fields = consent.Hidden;
            fields["decision"] = "allow";
            url = new Uri(url, consent.Action);
            form = new FormUrlEncodedContent(fields);
        }

        throw new InvalidOperationException("Too many hops in the authorization.");
    }

    /// <summary>Sends POSTs meant for one instance to another (GETs go where they were meant), and notes their paths.</summary>
    private sealed class PostsElsewhere(Uri from, Uri to) : DelegatingHandler
    {
        private readonly List<string> _redirected = [];

        public IReadOnlyList<string> Redirected
        {
            get
            {
                lock (_redirected)
                {
                    return [.. _redirected];
                }
            }
        }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Method == HttpMethod.Post && request.RequestUri is { } uri && uri.GetLeftPart(UriPartial.Authority) == from.GetLeftPart(UriPartial.Authority))
            {
                request.RequestUri = new UriBuilder(uri) { Host = to.Host, Port = to.Port }.Uri;
                lock (_redirected)
                {
                    _redirected.Add(uri.AbsolutePath);
                }
            }

            return base.SendAsync(request, cancellationToken);
        }
    }
}
