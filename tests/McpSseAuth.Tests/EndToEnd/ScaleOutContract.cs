using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using McpSseAuth.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using TestHttp = McpSseAuth.Tests.Integration.Http;

namespace McpSseAuth.Tests.EndToEnd;

/// <summary>
/// What several instances on one shared storage must do, whichever storage it is (Redis: <see cref="ScaleOutTests"/>;
/// PostgreSQL through Entity Framework Core: <see cref="PostgresScaleOutTests"/>): two instances of the sample on real
/// Kestrel with one issuer, a test addressing instance A or B itself, as a load balancer without sticky sessions may. A flow
/// started on one finishes on the other, a code is redeemed once even when both race for it, many refreshes race on both,
/// a DPoP proof is used once, legacy SSE messages posted to B reach the stream held by A, and a revocation on B ends A's
/// stream at once.
/// </summary>
public abstract partial class ScaleOutContract
{
    // Generous bounds, for a loaded machine: they say "not hanging" and "recovers by itself", not how fast.
    protected static readonly TimeSpan FailFast = TimeSpan.FromSeconds(15);
    protected static readonly TimeSpan Recovery = TimeSpan.FromSeconds(60);

    protected const string WhoAmICall = """{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"whoami","arguments":{}}}""";
    protected const string Initialized = """{"jsonrpc":"2.0","method":"notifications/initialized"}""";

    /// <summary>Two instances of the sample on the shared storage under test, with one issuer.</summary>
    protected abstract Task<SampleCluster> StartClusterAsync(Action<IServiceCollection>? services = null, Action<McpOAuthOptions>? configure = null);

    [Fact]
    public async Task ADpopProof_UsedOnOneInstance_IsRefusedWhenReplayedToTheOther()
    {
        // RFC 9449 §11.1: each jti once, remembered in the shared storage, so a proof captured on its way to A is no use at B.
        await using var cluster = await StartClusterAsync();
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
        await using var cluster = await StartClusterAsync();
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
        await using var cluster = await StartClusterAsync();
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
        await using var cluster = await StartClusterAsync();
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
        await using var cluster = await StartClusterAsync();
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
        await using var cluster = await StartClusterAsync();
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

    // ---- 3b. Streamable HTTP sessions served on any instance ----

    [Fact]
    public async Task Streamable_SessionOnA_RequestsAtB_AreServedByAOnce_OtherUserRefusedAtB_DeleteAtBEndsIt()
    {
        await using var cluster = await StartClusterAsync();
        using var a = cluster[0].CreateRawClient();
        using var b = cluster[1].CreateRawClient();
        var alice = await new OAuthFlow(a).GetTokensAsync(cluster.Resource("/mcp"), "alice");
        var bob = await new OAuthFlow(b).GetTokensAsync(cluster.Resource("/mcp"), "bob");
        string sessionId;
        using (var init = await McpWire.PostJsonAsync(a, "/mcp", McpWire.Initialize, alice.AccessToken))
        {
            Assert.Equal(HttpStatusCode.OK, init.StatusCode);
            sessionId = Assert.Single(init.Headers.GetValues("Mcp-Session-Id"));
        }

        using (var notified = await McpWire.PostJsonAsync(b, "/mcp", Initialized, alice.AccessToken, sessionId))
        {
            Assert.True(notified.StatusCode == HttpStatusCode.Accepted, $"initialized at B: {(int)notified.StatusCode} {await notified.Content.ReadAsStringAsync()}");
        }

        using (var call = await McpWire.PostJsonAsync(b, "/mcp", WhoAmICall, alice.AccessToken, sessionId))
        {
            var text = await call.Content.ReadAsStringAsync();
            Assert.True(call.StatusCode == HttpStatusCode.OK, $"tools/call at B: {(int)call.StatusCode} {text}");
            Assert.Equal(sessionId, Assert.Single(call.Headers.GetValues("Mcp-Session-Id")));
            Assert.Contains("user=alice", text, StringComparison.Ordinal);
            Assert.Contains("client_id=" + alice.ClientId, text, StringComparison.Ordinal);
        }

        // Bob's token at B for Alice's session held by A: refused at B.
        using (var asBob = await McpWire.PostJsonAsync(b, "/mcp", WhoAmICall, bob.AccessToken, sessionId))
        {
            Assert.Equal(HttpStatusCode.Forbidden, asBob.StatusCode);
        }

        // The session is A's alone.
        Assert.Single(await cluster.Service<IMcpSessions>(0).WaitForCountAsync("alice", 1));
        Assert.Empty(cluster.Service<IMcpSessions>(1).ListForUser("alice"));

        // Ended at B: gone on A, and any instance answers 404 for it after.
        await EndSessionAsync(b, alice.AccessToken, sessionId);

        Assert.Empty(await cluster.Service<IMcpSessions>(0).WaitForCountAsync("alice", 0));
        using var after = await McpWire.PostJsonAsync(b, "/mcp", WhoAmICall, alice.AccessToken, sessionId);
        Assert.Equal(HttpStatusCode.NotFound, after.StatusCode);
        // B remembers that A held it, and A says it has ended.
        Assert.Contains("Session not found: it has ended", await after.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Streamable_SessionOnA_ItsGetStreamOpenedAtB_CarriesWhatTheServerSendsUnasked()
    {
        // The SDK's session objects, by session id, as each instance starts them: to send a message no request asked for.
        var servers = new System.Collections.Concurrent.ConcurrentDictionary<string, ModelContextProtocol.Server.McpServer>(StringComparer.Ordinal);
#pragma warning disable MCPEXP002 // the SDK's hook around a session's run, to reach the session's server object
        await using var cluster = await StartClusterAsync(s => s.Configure<ModelContextProtocol.AspNetCore.HttpServerTransportOptions>(o => o.RunSessionHandler = (_, server, ended) =>
        {
            servers[server.SessionId!] = server;
            return server.RunAsync(ended);
        }));
#pragma warning restore MCPEXP002
        using var a = cluster[0].CreateRawClient();
        using var b = cluster[1].CreateRawClient();
        var tokens = await new OAuthFlow(a).GetTokensAsync(cluster.Resource("/mcp"), "alice");
        var sessionId = await InitializeStreamableAsync(a, tokens.AccessToken);
        Assert.Single(await cluster.Service<IMcpSessions>(0).WaitForCountAsync("alice", 1));

        // The standalone stream, opened at B, is A's: what A's session sends unasked reaches the client through B.
        var (stream, reader) = await McpWire.OpenStandaloneStreamAsync(b, tokens.AccessToken, sessionId);
        using (stream)
        using (reader)
        {
            Assert.Equal("text/event-stream", stream.Content.Headers.ContentType?.MediaType);
            await servers[sessionId].SendNotificationAsync("notifications/tools/list_changed");
            using var message = JsonDocument.Parse(await McpWire.ReadDataEventAsync(reader));
            Assert.Equal("notifications/tools/list_changed", message.RootElement.GetProperty("method").GetString());
        }

        Assert.Empty(cluster.Service<IMcpSessions>(1).ListForUser("alice"));
    }

    [Fact]
    public async Task SdkClient_Streamable_EveryRequestToTheNextInstance_SignsInListsAndCallsTools()
    {
        await using var cluster = await StartClusterAsync();
        var roundRobin = new RoundRobin(cluster[0].BaseAddress, cluster[1].BaseAddress) { InnerHandler = new SocketsHttpHandler() };
        using var http = new HttpClient(roundRobin);

        // A 2025-era client, which opens a session (a 2026-07-28 one has none to route).
        await using (var client = await SdkClients.ConnectAsync(new Uri(cluster.Resource("/mcp")), HttpTransportMode.StreamableHttp, "bob", http, clientOptions: new McpClientOptions { ProtocolVersion = "2025-11-25" }))
        {
            for (var i = 0; i < 3; i++)
            {
                Assert.Contains(await client.ListToolsAsync(), t => t.Name == "whoami");
                Assert.Contains("user=bob", SdkClients.TextOf(await client.CallToolAsync("whoami")), StringComparison.Ordinal);
                Assert.Equal("héllo " + i, SdkClients.TextOf(await client.CallToolAsync("echo", new Dictionary<string, object?> { ["message"] = "héllo " + i })));
            }

            // One instance holds the session; the MCP requests went to both.
            var held = cluster.Service<IMcpSessions>(0).ListForUser("bob").Count + cluster.Service<IMcpSessions>(1).ListForUser("bob").Count;
            Assert.Equal(1, held);
            Assert.True(roundRobin.McpRequests(0) >= 4 && roundRobin.McpRequests(1) >= 4, $"MCP requests to A: {roundRobin.McpRequests(0)}, to B: {roundRobin.McpRequests(1)}");
        }
    }

    [Fact]
    public async Task SdkClient_Streamable_SessionOnA_EveryRequestOfItAtB_ProgressCrossesTheRelayInOrder_EachCallRunsOnce()
    {
        await using var cluster = await StartClusterAsync(s => s.AddMcpServer().WithTools<RelayTools>());
        var sessionToB = new SessionRequestsElsewhere(cluster[0].BaseAddress, cluster[1].BaseAddress) { InnerHandler = new SocketsHttpHandler() };
        using var http = new HttpClient(sessionToB);
        await using var client = await SdkClients.ConnectAsync(new Uri(cluster.Resource("/mcp")), HttpTransportMode.StreamableHttp, "alice", http, clientOptions: new McpClientOptions { ProtocolVersion = "2025-11-25" });
        Assert.Single(await cluster.Service<IMcpSessions>(0).WaitForCountAsync("alice", 1));

        // The call, sent to B, runs once on A. (The SDK client hands progress to its callback concurrently, and may drop
        // what lands after the result: what crosses the relay is checked on the wire below.)
        var counted = Guid.NewGuid().ToString("N");
        var result = await client.CallToolAsync("count_to", new Dictionary<string, object?> { ["run"] = counted, ["n"] = 3 });
        Assert.Equal("counted 3", SdkClients.TextOf(result));
        Assert.Equal(1, RelayTools.RunsOf(counted));

        // On the wire, B's answer is A's stream as A wrote it: every progress notification in order, then the result.
        using var a = cluster[0].CreateRawClient();
        using var b = cluster[1].CreateRawClient();
        var tokens = await new OAuthFlow(a).GetTokensAsync(cluster.Resource("/mcp"), "alice");
        string sessionId;
        using (var init = await McpWire.PostJsonAsync(a, "/mcp", McpWire.Initialize, tokens.AccessToken))
        {
            sessionId = Assert.Single(init.Headers.GetValues("Mcp-Session-Id"));
        }

        using (await McpWire.PostJsonAsync(b, "/mcp", Initialized, tokens.AccessToken, sessionId))
        {
        }

        var wireRun = Guid.NewGuid().ToString("N");
        using var streamed = await McpWire.PostJsonAsync(b, "/mcp", """{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"count_to","arguments":{"run":"RUN","n":4},"_meta":{"progressToken":"p"}}}""".Replace("RUN", wireRun, StringComparison.Ordinal), tokens.AccessToken, sessionId);
        Assert.Equal("text/event-stream", streamed.Content.Headers.ContentType?.MediaType);
        var events = (await streamed.Content.ReadAsStringAsync()).Split('\n').Where(l => l.StartsWith("data:", StringComparison.Ordinal)).Select(l => JsonDocument.Parse(l["data:".Length..]).RootElement).ToList();
        Assert.Equal([1.0, 2.0, 3.0, 4.0], events.Where(e => e.TryGetProperty("method", out _)).Select(e => e.GetProperty("params").GetProperty("progress").GetDouble()));
        Assert.Equal(7, events[^1].GetProperty("id").GetInt32());
        Assert.Equal(1, RelayTools.RunsOf(wireRun));

        Assert.Empty(cluster.Service<IMcpSessions>(1).ListForUser("alice"));
        Assert.True(sessionToB.Relayed >= 2, $"Session requests sent to B: {sessionToB.Relayed}");
    }

    [Fact]
    public async Task SdkClient_Streamable_SessionOnA_EveryRequestOfItAtB_ACancelledCallStopsOnA_AndAnElicitationIsAnsweredThroughB()
    {
        await using var cluster = await StartClusterAsync(s => s.AddMcpServer().WithTools<RelayTools>());
        var sessionToB = new SessionRequestsElsewhere(cluster[0].BaseAddress, cluster[1].BaseAddress) { InnerHandler = new SocketsHttpHandler() };
        using var http = new HttpClient(sessionToB);
        var asked = 0;
        var options = new McpClientOptions
        {
            ProtocolVersion = "2025-11-25",
            Handlers = new McpClientHandlers
            {
                ElicitationHandler = (request, _) =>
                {
                    Interlocked.Increment(ref asked);
                    Assert.Equal("Your name?", request?.Message);
                    return ValueTask.FromResult(new ElicitResult { Action = "accept", Content = new Dictionary<string, JsonElement> { ["name"] = JsonSerializer.SerializeToElement("Ada") } });
                },
            },
        };
        await using var client = await SdkClients.ConnectAsync(new Uri(cluster.Resource("/mcp")), HttpTransportMode.StreamableHttp, "alice", http, clientOptions: options);
        Assert.Single(await cluster.Service<IMcpSessions>(0).WaitForCountAsync("alice", 1));

        // The server's question travels on the call's stream from A through B; the client's answer, posted to B, reaches A.
        var named = Guid.NewGuid().ToString("N");
        var greeted = await client.CallToolAsync("ask_name", new Dictionary<string, object?> { ["run"] = named }).AsTask().WaitAsync(Recovery);
        Assert.Equal("hello Ada", SdkClients.TextOf(greeted));
        Assert.Equal(1, asked);
        Assert.Equal(1, RelayTools.RunsOf(named));

        // A cancellation as the spec has it: notifications/cancelled naming the request, posted to B, stops the call on A.
        // (The C# SDK client's CancellationToken only aborts the HTTP request during a Streamable HTTP call and sends no
        // notification — csharp-sdk#1365 — so the test sends it, as the TypeScript client does on abort.)
        var waiting = Guid.NewGuid().ToString("N");
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var requestId = new RequestId("cancel-" + waiting);
        var call = client.SendRequestAsync(
            new JsonRpcRequest
            {
                Id = requestId,
                Method = "tools/call",
                Params = new System.Text.Json.Nodes.JsonObject { ["name"] = "wait_for_cancel", ["arguments"] = new System.Text.Json.Nodes.JsonObject { ["run"] = waiting }, ["_meta"] = new System.Text.Json.Nodes.JsonObject { ["progressToken"] = waiting } },
            });
        await using (client.RegisterNotificationHandler("notifications/progress", (_, _) =>
        {
            started.TrySetResult();
            return ValueTask.CompletedTask;
        }))
        {
            await started.Task.WaitAsync(Recovery);
        }

        Assert.Equal(1, RelayTools.RunsOf(waiting));
        await client.SendNotificationAsync("notifications/cancelled", new CancelledNotificationParams { RequestId = requestId, Reason = "the user changed their mind" });
        await RelayTools.CancelledAsync(waiting).WaitAsync(Recovery);
        Assert.Equal(1, RelayTools.RunsOf(waiting));

        // The session carries on through B after both.
        Assert.Contains("user=alice", SdkClients.TextOf(await client.CallToolAsync("whoami")), StringComparison.Ordinal);
        Assert.Empty(cluster.Service<IMcpSessions>(1).ListForUser("alice"));
        Assert.True(sessionToB.Relayed >= 4, $"Session requests sent to B: {sessionToB.Relayed}");
        Assert.False(call.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task TypeScriptClient_Streamable_EveryRequestToTheNextInstance_SignsInGetsProgressCancelsAndEndsTheSession()
    {
        await using var cluster = await StartClusterAsync(s => s.AddMcpServer().WithTools<RelayTools>());
        var run = Guid.NewGuid().ToString("N");

        var result = await TypeScriptClient.RunScriptAsync(
            "round-robin-client.mjs",
            "--url", cluster.Resource("/mcp"),
            "--instance", cluster[0].BaseAddress.ToString(),
            "--instance", cluster[1].BaseAddress.ToString(),
            "--user", "alice", "--password", "alice", "--run", run);

        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.StandardError}");
        var output = result.Output!.Value;
        Assert.False(string.IsNullOrEmpty(output.GetProperty("sessionId").GetString()));
        var tools = output.GetProperty("tools").EnumerateArray().Select(t => t.GetString()).ToArray();
        Assert.Contains("count_to", tools);
        Assert.Equal("counted 5", output.GetProperty("counted").GetString());
        Assert.Equal([1.0, 2.0, 3.0, 4.0, 5.0], output.GetProperty("progress").EnumerateArray().Select(p => p.GetDouble()));
        Assert.Equal(1, RelayTools.RunsOf(run + "-count"));

        // The client aborted the call at its first progress and posted notifications/cancelled to whichever instance was
        // next: the call stopped where it ran, once.
        Assert.Equal("aborted", output.GetProperty("cancelled").GetString());
        await RelayTools.CancelledAsync(run + "-cancel").WaitAsync(Recovery);
        Assert.Equal(1, RelayTools.RunsOf(run + "-cancel"));
        Assert.Contains("user=alice", output.GetProperty("whoami").GetString(), StringComparison.Ordinal);

        // Both instances took the client's requests; the session it ended is gone from the one that held it.
        var requests = output.GetProperty("requests").EnumerateArray().Select(r => r.GetInt32()).ToArray();
        Assert.True(requests.All(r => r >= 4), "requests per instance: " + string.Join(", ", requests));
        Assert.Empty(await cluster.Service<IMcpSessions>(0).WaitForCountAsync("alice", 0));
        Assert.Empty(await cluster.Service<IMcpSessions>(1).WaitForCountAsync("alice", 0));
    }

    // ---- 4. revocation on B ends A's stream ----

    [Theory]
    [InlineData("revocation endpoint")]
    [InlineData("IMcpUserAccess")]
    public async Task RevokedOnB_EndsTheSseStreamOnA_AtOnce_AndAGivesTheOldAccessToken401(string how)
    {
        await using var cluster = await StartClusterAsync();
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

    [Fact]
    public async Task ManyGrantsOfOneClient_RefreshedAtOnceOnBothInstances_AllSucceed()
    {
        await using var cluster = await StartClusterAsync();
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

    protected static StringContent JsonContent(string json) => new(json, System.Text.Encoding.UTF8, "application/json");

    protected static string Echo(int id, string message)
        => """{"jsonrpc":"2.0","id":""" + id.ToString(CultureInfo.InvariantCulture) + ""","method":"tools/call","params":{"name":"echo","arguments":{"message":""" + JsonSerializer.Serialize(message) + "}}}";

    protected static async Task<TokenSet> ReadTokensAsync(HttpResponseMessage response, string clientId)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"The token endpoint answered {(int)response.StatusCode}: {body}");
        using var json = JsonDocument.Parse(body);
        return new TokenSet(clientId, json.RootElement.GetProperty("access_token").GetString()!, json.RootElement.GetProperty("refresh_token").GetString()!);
    }

    /// <summary>Ends a Streamable HTTP session with its DELETE, sent to <paramref name="http"/>'s instance.</summary>
    protected static async Task EndSessionAsync(HttpClient http, string token, string sessionId)
    {
        using var delete = new HttpRequestMessage(HttpMethod.Delete, "/mcp");
        delete.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        delete.Headers.Add("Mcp-Session-Id", sessionId);
        using var deleted = await http.SendAsync(delete);
        Assert.True(deleted.IsSuccessStatusCode, $"DELETE answered {(int)deleted.StatusCode}");
    }

    protected static async Task<string> InitializeStreamableAsync(HttpClient http, string token)
    {
        using var init = await McpWire.PostJsonAsync(http, "/mcp", McpWire.Initialize, token);
        Assert.True(init.StatusCode == HttpStatusCode.OK, $"initialize answered {(int)init.StatusCode}: {await init.Content.ReadAsStringAsync()}");
        var sessionId = Assert.Single(init.Headers.GetValues("Mcp-Session-Id"));
        using var initialized = await McpWire.PostJsonAsync(http, "/mcp", Initialized, token, sessionId);
        Assert.Equal(HttpStatusCode.Accepted, initialized.StatusCode);
        return sessionId;
    }

    /// <summary>A Streamable HTTP session on the instance, and the whoami tool called on it; returns the tool's answer.</summary>
    protected static async Task<string> WhoAmIAsync(HttpClient http, string token)
    {
        var sessionId = await InitializeStreamableAsync(http, token);
        using var call = await McpWire.PostJsonAsync(http, "/mcp", WhoAmICall, token, sessionId);
        var body = await call.Content.ReadAsStringAsync();
        Assert.True(call.StatusCode == HttpStatusCode.OK, $"tools/call answered {(int)call.StatusCode}: {body}");
        return body;
    }

    /// <summary>503 with Retry-After and the RFC 6749 error as JSON: no 500, no stack trace.</summary>
    protected static async Task AssertTemporarilyUnavailableAsync(HttpResponseMessage response)
    {
        var body = await TestHttp.AssertOAuthErrorAsync(response, HttpStatusCode.ServiceUnavailable, "temporarily_unavailable");
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.DoesNotContain("Exception", body.GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", body.GetRawText(), StringComparison.Ordinal);
    }

    /// <summary>Sends until the answer is no longer 503 (each 503 a proper one), within <see cref="Recovery"/>; expects 200.</summary>
    protected static async Task EventuallyAsync(Func<Task<HttpResponseMessage>> send)
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
    protected static async Task<string> AuthorizeSignedInAsync(Browser browser, Uri authorizeUrl)
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

    /// <summary>Opens sessions on one instance and sends every request of a session (it names one) to another.</summary>
    protected sealed class SessionRequestsElsewhere(Uri from, Uri to) : DelegatingHandler
    {
        private int _relayed;

        public int Relayed => Volatile.Read(ref _relayed);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Headers.Contains("Mcp-Session-Id") && request.RequestUri is { } uri && uri.GetLeftPart(UriPartial.Authority) == from.GetLeftPart(UriPartial.Authority))
            {
                request.RequestUri = new UriBuilder(uri) { Host = to.Host, Port = to.Port }.Uri;
                Interlocked.Increment(ref _relayed);
            }

            return base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>A load balancer without affinity: each request goes to the next instance in turn; MCP requests are counted per instance.</summary>
    protected sealed class RoundRobin(params Uri[] instances) : DelegatingHandler
    {
        private readonly int[] _mcp = new int[instances.Length];
        private int _next;

        public int McpRequests(int instance) => Volatile.Read(ref _mcp[instance]);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var instance = (int)((uint)Interlocked.Increment(ref _next) % (uint)instances.Length);
            if (request.RequestUri is { } uri)
            {
                request.RequestUri = new UriBuilder(uri) { Host = instances[instance].Host, Port = instances[instance].Port }.Uri;
                if (uri.AbsolutePath == "/mcp")
                {
                    Interlocked.Increment(ref _mcp[instance]);
                }
            }

            return base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>Sends POSTs meant for one instance to another (GETs go where they were meant), and notes their paths.</summary>
    protected sealed class PostsElsewhere(Uri from, Uri to) : DelegatingHandler
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
