using System.Net;
using McpSseAuth.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace McpSseAuth.Tests.EndToEnd;

/// <summary>
/// The session manager on real Kestrel: a session is bound to the user and the client of the token that opened it, a
/// refreshed token of the same grant keeps working on it, and a revoked grant ends its live sessions at once.
/// </summary>
public sealed class SessionManagerTests : IAsyncLifetime
{
    private readonly SampleApp _app = new(kestrel: true);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private string Resource(string path) => new Uri(_app.BaseAddress, path).ToString().TrimEnd('/');

    private IMcpSessions Sessions => _app.Services.GetRequiredService<IMcpSessions>();

    private static async Task<string> InitializeStreamableAsync(HttpClient http, string token)
    {
        using var init = await McpWire.PostJsonAsync(http, "/mcp", McpWire.Initialize, token);
        Assert.Equal(HttpStatusCode.OK, init.StatusCode);
        return Assert.Single(init.Headers.GetValues("Mcp-Session-Id"));
    }

    [Fact]
    public async Task StreamableSession_SameUserThroughAnotherClient_Is403_AndTheOwnerStillWorks()
    {
        using var http = _app.CreateRawClient();
        var first = await new OAuthFlow(http).GetTokensAsync(Resource("/mcp"), "alice");
        var otherClient = await new OAuthFlow(http).GetTokensAsync(Resource("/mcp"), "alice");
        Assert.NotEqual(first.ClientId, otherClient.ClientId);
        var sessionId = await InitializeStreamableAsync(http, first.AccessToken);

        using var asOtherClient = await McpWire.PostJsonAsync(http, "/mcp", McpWire.ListTools, otherClient.AccessToken, sessionId);
        using var asOwner = await McpWire.PostJsonAsync(http, "/mcp", McpWire.ListTools, first.AccessToken, sessionId);

        Assert.Equal(HttpStatusCode.Forbidden, asOtherClient.StatusCode);
        Assert.Contains("another user or another client", await asOtherClient.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, asOwner.StatusCode);
        Assert.Contains("whoami", await asOwner.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task StreamableSession_SameClientOtherUser_Is403()
    {
        using var http = _app.CreateRawClient();
        var flow = new OAuthFlow(http);
        var clientId = await flow.RegisterAsync();
        async Task<string> TokenAsync(string user)
        {
            var code = (await flow.AuthorizeAsync(clientId, Resource("/mcp"), user))["code"];
            return (await McpSseAuth.Tests.Integration.Http.ReadJsonAsync(await flow.RedeemAsync(clientId, code))).GetProperty("access_token").GetString()!;
        }

        var alice = await TokenAsync("alice");
        var bob = await TokenAsync("bob");
        var sessionId = await InitializeStreamableAsync(http, alice);

        using var asBob = await McpWire.PostJsonAsync(http, "/mcp", McpWire.ListTools, bob, sessionId);

        Assert.Equal(HttpStatusCode.Forbidden, asBob.StatusCode);
        Assert.DoesNotContain("whoami", await asBob.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SseSession_SameUserThroughAnotherClient_Is403_AndNothingReachesTheSession()
    {
        using var http = _app.CreateRawClient();
        var first = await new OAuthFlow(http).GetTokensAsync(Resource("/sse"), "alice");
        var otherClient = await new OAuthFlow(http).GetTokensAsync(Resource("/sse"), "alice");
        var (stream, reader, messagePath) = await McpWire.OpenSseAsync(http, first.AccessToken);
        using (stream)
        using (reader)
        {
            using var asOtherClient = await McpWire.PostJsonAsync(http, messagePath, McpWire.Initialize, otherClient.AccessToken);
            using var asOwner = await McpWire.PostJsonAsync(http, messagePath, McpWire.Initialize, first.AccessToken);

            Assert.Equal(HttpStatusCode.Forbidden, asOtherClient.StatusCode);
            Assert.Equal(HttpStatusCode.Accepted, asOwner.StatusCode);
            // The first message on the stream answers the owner's initialize: the other client's never got there.
            Assert.Contains("\"protocolVersion\"", await McpWire.ReadDataEventAsync(reader), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task StreamableSession_RefreshedTokenOfTheSameGrant_KeepsWorking()
    {
        using var http = _app.CreateRawClient();
        var flow = new OAuthFlow(http);
        var tokens = await flow.GetTokensAsync(Resource("/mcp"), "alice");
        var sessionId = await InitializeStreamableAsync(http, tokens.AccessToken);
        using var refreshed = await flow.RefreshAsync(tokens.ClientId, tokens.RefreshToken);
        var newAccessToken = (await McpSseAuth.Tests.Integration.Http.ReadJsonAsync(refreshed)).GetProperty("access_token").GetString()!;

        using var response = await McpWire.PostJsonAsync(http, "/mcp", McpWire.ListTools, newAccessToken, sessionId);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Sessions_AreListedPerUser_WithTransportClientAndGrant()
    {
        using var http = _app.CreateRawClient();
        var alice = await new OAuthFlow(http).GetTokensAsync(Resource("/mcp"), "alice");
        var aliceSse = await new OAuthFlow(http).GetTokensAsync(Resource("/sse"), "alice");
        var bob = await new OAuthFlow(http).GetTokensAsync(Resource("/mcp"), "bob");
        var streamable = await InitializeStreamableAsync(http, alice.AccessToken);
        await InitializeStreamableAsync(http, bob.AccessToken);
        var (stream, reader, messagePath) = await McpWire.OpenSseAsync(http, aliceSse.AccessToken);
        using (stream)
        using (reader)
        {
            // The SSE session is listed as its run starts, just after the endpoint event went out.
            var sessions = Sessions.ListForUser("alice");
            for (var i = 0; i < 50 && sessions.Count < 2; i++)
            {
                await Task.Delay(100);
                sessions = Sessions.ListForUser("alice");
            }

            Assert.Equal(2, sessions.Count);
            var viaStreamable = Assert.Single(sessions, s => s.Transport == McpSessionTransport.StreamableHttp);
            Assert.Equal(streamable, viaStreamable.SessionId);
            Assert.Equal(alice.ClientId, viaStreamable.ClientId);
            Assert.False(string.IsNullOrEmpty(viaStreamable.GrantId));
            Assert.Contains("mcp:tools", viaStreamable.Scopes);
            var viaSse = Assert.Single(sessions, s => s.Transport == McpSessionTransport.Sse);
            Assert.Equal(aliceSse.ClientId, viaSse.ClientId);
            Assert.EndsWith(viaSse.SessionId, messagePath, StringComparison.Ordinal);
            Assert.All(Sessions.ListForUser("bob"), s => Assert.Equal(bob.ClientId, s.ClientId));
        }
    }

    [Fact]
    public async Task RevokedGrant_EndsItsLiveSseStream_AndItsAccessTokenGets401()
    {
        // No reuse window: the replay below is taken for theft at once.
        await using var app = new SampleApp(kestrel: true, configure: o => o.Tokens.RefreshTokenReuseWindow = TimeSpan.Zero);
        using var http = app.CreateRawClient();
        string Resource(string path) => new Uri(app.BaseAddress, path).ToString().TrimEnd('/');
        var sessions = app.Services.GetRequiredService<IMcpSessions>();
        var flow = new OAuthFlow(http);
        var tokens = await flow.GetTokensAsync(Resource("/sse"), "alice");
        var (stream, reader, _) = await McpWire.OpenSseAsync(http, tokens.AccessToken);
        using (stream)
        using (reader)
        {
            // A replayed refresh token revokes the grant (theft detected).
            Assert.Equal(HttpStatusCode.OK, (await flow.RefreshAsync(tokens.ClientId, tokens.RefreshToken)).StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest, (await flow.RefreshAsync(tokens.ClientId, tokens.RefreshToken)).StatusCode);

            // The server closes the stream: the client reads its end, not a timeout.
            await McpWire.ReadUntilClosedAsync(reader);
        }

        Assert.Empty(sessions.ListForUser("alice"));
        using var again = await McpWire.PostJsonAsync(http, "/mcp", McpWire.Initialize, tokens.AccessToken);
        Assert.Equal(HttpStatusCode.Unauthorized, again.StatusCode);
    }

    [Fact]
    public async Task TokenRevokedAtTheRevocationEndpoint_ClosesItsLiveStreams_OnBothTransports()
    {
        using var http = _app.CreateRawClient();
        var sseTokens = await new OAuthFlow(http).GetTokensAsync(Resource("/sse"), "alice");
        var streamableTokens = await new OAuthFlow(http).GetTokensAsync(Resource("/mcp"), "alice");
        var sessionId = await InitializeStreamableAsync(http, streamableTokens.AccessToken);
        var (stream, reader, _) = await McpWire.OpenSseAsync(http, sseTokens.AccessToken);
        var (standalone, standaloneReader) = await McpWire.OpenStandaloneStreamAsync(http, streamableTokens.AccessToken, sessionId);
        using (stream)
        using (reader)
        using (standalone)
        using (standaloneReader)
        {
            foreach (var tokens in new[] { sseTokens, streamableTokens })
            {
                using var revoked = await http.PostAsync("/oauth/revoke", new FormUrlEncodedContent(new Dictionary<string, string> { ["client_id"] = tokens.ClientId, ["token"] = tokens.RefreshToken }));
                Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
            }

            await McpWire.ReadUntilClosedAsync(reader);
            await McpWire.ReadUntilClosedAsync(standaloneReader);
        }

        // The Streamable session's run ends just after its standalone stream closed: it leaves the list a moment later.
        Assert.Empty(await Sessions.WaitForCountAsync("alice", 0));
    }

    [Fact]
    public async Task Events_ReportSessionStarted_Refused_AndEnded()
    {
        var started = new System.Collections.Concurrent.ConcurrentQueue<McpSessionInfo>();
        var ended = new System.Collections.Concurrent.ConcurrentQueue<(McpSessionInfo Session, McpSessionEndReason? Reason)>();
        var refused = new System.Collections.Concurrent.ConcurrentQueue<(string Reason, int Status)>();
        await using var app = new SampleApp(kestrel: true, configure: o =>
        {
            o.Events.OnSessionStarted = c => { started.Enqueue(c.Session); return Task.CompletedTask; };
            o.Events.OnSessionEnded = c => { ended.Enqueue((c.Session, c.EndReason)); return Task.CompletedTask; };
            o.Events.OnSessionRefused = c => { refused.Enqueue((c.Reason, c.StatusCode)); return Task.CompletedTask; };
        });
        using var http = app.CreateRawClient();
        var resource = new Uri(app.BaseAddress, "/mcp").ToString();
        var owner = await new OAuthFlow(http).GetTokensAsync(resource, "alice");
        var otherClient = await new OAuthFlow(http).GetTokensAsync(resource, "alice");
        var sessionId = await InitializeStreamableAsync(http, owner.AccessToken);

        using var _ = await McpWire.PostJsonAsync(http, "/mcp", McpWire.ListTools, otherClient.AccessToken, sessionId);
        Assert.True(app.Services.GetRequiredService<IMcpSessions>().EndSession(sessionId));
        for (var i = 0; i < 50 && ended.IsEmpty; i++)
        {
            await Task.Delay(100);
        }

        var session = Assert.Single(started);
        Assert.Equal(sessionId, session.SessionId);
        Assert.Equal(owner.ClientId, session.ClientId);
        Assert.Equal(("binding", 403), Assert.Single(refused));
        var end = Assert.Single(ended);
        Assert.Equal(sessionId, end.Session.SessionId);
        Assert.Equal(McpSessionEndReason.Ended, end.Reason);
    }

    [Fact]
    public async Task RevokeOnTheConnectedAppsPage_ClosesTheClientsLiveSseStream()
    {
        using var http = _app.CreateRawClient();
        var flow = new OAuthFlow(http);
        var clientId = await flow.RegisterAsync();
        var browser = new Browser(http);
        var location = await browser.AuthorizeAsync(flow.AuthorizeUrl(clientId, Resource("/sse")), "alice", "alice");
        var json = await McpSseAuth.Tests.Integration.Http.ReadJsonAsync(await flow.RedeemAsync(clientId, McpSseAuth.Tests.Integration.Http.Query(location)["code"]));
        var (stream, reader, _) = await McpWire.OpenSseAsync(http, json.GetProperty("access_token").GetString()!);
        using (stream)
        using (reader)
        {
            for (var i = 0; i < 100 && Sessions.ListForUser("alice").Count == 0; i++)
            {
                await Task.Delay(50);
            }

            var apps = new Uri(_app.BaseAddress, "/oauth/apps");
            var page = await (await browser.SendAsync(apps)).Content.ReadAsStringAsync();
            Assert.Contains("Connected now (1 session).", page, StringComparison.Ordinal);
            var (name, value) = McpSseAuth.Tests.Integration.AccountPageSupport.AntiforgeryField(page);
            var revoke = await browser.SendAsync(apps, new FormUrlEncodedContent(new Dictionary<string, string> { [name] = value, ["client_id"] = clientId }));
            Assert.Equal(HttpStatusCode.SeeOther, revoke.StatusCode);

            await McpWire.ReadUntilClosedAsync(reader);
        }

        Assert.Empty(Sessions.ListForUser("alice"));
    }

    [Fact]
    public async Task IdleSseSession_IsEndedAfterTheIdleTimeout_AnActiveOneIsNot()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = new SampleApp(kestrel: true, configure: o => o.Sessions.IdleTimeout = TimeSpan.FromMinutes(8), services: s => s.AddSingleton<TimeProvider>(clock));
        using var http = app.CreateRawClient();
        var resource = new Uri(app.BaseAddress, "/sse").ToString();
        var idle = await new OAuthFlow(http).GetTokensAsync(resource, "alice");
        var active = await new OAuthFlow(http).GetTokensAsync(resource, "bob");
        var sessions = app.Services.GetRequiredService<IMcpSessions>();
        var (idleStream, idleReader, _) = await McpWire.OpenSseAsync(http, idle.AccessToken);
        var (activeStream, activeReader, activePath) = await McpWire.OpenSseAsync(http, active.AccessToken);
        using (idleStream)
        using (idleReader)
        using (activeStream)
        using (activeReader)
        {
            for (var i = 0; i < 50 && (sessions.ListForUser("alice").Count == 0 || sessions.ListForUser("bob").Count == 0); i++)
            {
                await Task.Delay(100);
            }

            // Bob's session gets a message every 5 minutes; alice's none. The sweep runs every 2 minutes.
            for (var minute = 0; minute < 12; minute++)
            {
                if (minute % 5 == 0)
                {
                    using var ping = await McpWire.PostJsonAsync(http, activePath, """{"jsonrpc":"2.0","method":"notifications/initialized"}""", active.AccessToken);
                    Assert.Equal(HttpStatusCode.Accepted, ping.StatusCode);
                }

                clock.Advance(TimeSpan.FromMinutes(1));
            }

            await McpWire.ReadUntilClosedAsync(idleReader);

            Assert.Empty(sessions.ListForUser("alice"));
            Assert.Single(sessions.ListForUser("bob"));
        }
    }

    [Fact]
    public async Task EndForUser_EndsTheStreamableSession_ItsNextRequestIs404()
    {
        using var http = _app.CreateRawClient();
        var tokens = await new OAuthFlow(http).GetTokensAsync(Resource("/mcp"), "alice");
        var sessionId = await InitializeStreamableAsync(http, tokens.AccessToken);

        Assert.Equal(1, Sessions.EndForUser("alice"));

        using var response = await McpWire.PostJsonAsync(http, "/mcp", McpWire.ListTools, tokens.AccessToken, sessionId);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.False(Sessions.EndSession(sessionId));
    }
}

/// <summary>Two users, many sessions each, requests interleaved on both transports: every answer reaches its own session.</summary>
public sealed class SessionIsolationTests : IAsyncLifetime
{
    private readonly SampleApp _app = new(kestrel: true);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private string Resource(string path) => new Uri(_app.BaseAddress, path).ToString().TrimEnd('/');

    private static string WhoAmI(int id)
        => """{"jsonrpc":"2.0","id":""" + id.ToString(System.Globalization.CultureInfo.InvariantCulture) + ""","method":"tools/call","params":{"name":"whoami","arguments":{}}}""";

    [Fact]
    public async Task ManySessionsOfTwoUsers_InterleavedOnBothTransports_EachAnswerReachesItsOwnSession()
    {
        using var http = _app.CreateRawClient();
        var users = new[] { "alice", "bob" };
        var streamableTokens = new Dictionary<string, string>();
        var sseTokens = new Dictionary<string, string>();
        foreach (var user in users)
        {
            streamableTokens[user] = (await new OAuthFlow(http).GetTokensAsync(Resource("/mcp"), user)).AccessToken;
            sseTokens[user] = (await new OAuthFlow(http).GetTokensAsync(Resource("/sse"), user)).AccessToken;
        }

        async Task StreamableAsync(string user, int session)
        {
            using var init = await McpWire.PostJsonAsync(http, "/mcp", McpWire.Initialize, streamableTokens[user]);
            var sessionId = Assert.Single(init.Headers.GetValues("Mcp-Session-Id"));
            for (var call = 0; call < 5; call++)
            {
                var id = (session * 100) + call;
                using var response = await McpWire.PostJsonAsync(http, "/mcp", WhoAmI(id), streamableTokens[user], sessionId);
                var body = await response.Content.ReadAsStringAsync();
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Contains($"user={user};", body, StringComparison.Ordinal);
                Assert.Contains($"\"id\":{id}", body, StringComparison.Ordinal);
            }
        }

        async Task SseAsync(string user, int session)
        {
            var (stream, reader, messagePath) = await McpWire.OpenSseAsync(http, sseTokens[user]);
            using (stream)
            using (reader)
            {
                Assert.Equal(HttpStatusCode.Accepted, (await McpWire.PostJsonAsync(http, messagePath, McpWire.Initialize, sseTokens[user])).StatusCode);
                await McpWire.ReadDataEventAsync(reader);
                for (var call = 0; call < 5; call++)
                {
                    var id = (session * 100) + call;
                    Assert.Equal(HttpStatusCode.Accepted, (await McpWire.PostJsonAsync(http, messagePath, WhoAmI(id), sseTokens[user])).StatusCode);
                    var answer = await McpWire.ReadDataEventAsync(reader);
                    Assert.Contains($"user={user};", answer, StringComparison.Ordinal);
                    Assert.Contains($"\"id\":{id}", answer, StringComparison.Ordinal);
                }
            }
        }

        var work = new List<Task>();
        for (var session = 1; session <= 6; session++)
        {
            foreach (var user in users)
            {
                work.Add(session % 2 == 0 ? StreamableAsync(user, session) : SseAsync(user, session));
            }
        }

        await Task.WhenAll(work);
    }
}

/// <summary>
/// A 2026-07-28 client (the C# SDK client's default) is served statelessly by the sample: there is no session, so nothing is
/// tracked, bound or capped, but each request's token is checked, so a revocation stops the client on its next request.
/// </summary>
public sealed class StatelessClientTests : IAsyncLifetime
{
    private readonly SampleApp _app = new(kestrel: true, configure: o => o.Sessions.MaxPerUser = 1);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task StatelessClient_IsNeitherTrackedNorCapped_AndARevocationSendsItBackToSignIn()
    {
        var signIns = 0;
        var endpoint = new Uri(_app.BaseAddress, "/mcp");
        await using var first = await SdkClients.ConnectAsync(endpoint, ModelContextProtocol.Client.HttpTransportMode.StreamableHttp, "alice", onSignIn: () => Interlocked.Increment(ref signIns));
        // Over the per-user cap of one session: there is no session to count.
        await using var second = await SdkClients.ConnectAsync(endpoint, ModelContextProtocol.Client.HttpTransportMode.StreamableHttp, "alice");

        Assert.Null(first.SessionId);
        Assert.Contains("alice", SdkClients.TextOf(await first.CallToolAsync("whoami")), StringComparison.Ordinal);
        Assert.Contains("alice", SdkClients.TextOf(await second.CallToolAsync("whoami")), StringComparison.Ordinal);
        Assert.Empty(_app.Services.GetRequiredService<IMcpSessions>().ListForUser("alice"));

        var removed = await _app.Services.GetRequiredService<IMcpUserAccess>().RemoveUserAsync("alice");
        Assert.Equal(new McpAccessRevocation(2, 2, 0), removed);

        // The revoked token gets 401; the client signs in again (alice may) and carries on with a new grant.
        Assert.Contains("alice", SdkClients.TextOf(await first.CallToolAsync("whoami")), StringComparison.Ordinal);
        Assert.Equal(2, signIns);
        Assert.Single(await _app.Services.GetRequiredService<IMcpUserAccess>().ListGrantsAsync("alice"));
    }
}
