using System.Net;
using System.Text;
using McpSseAuth.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol.Server;

namespace McpSseAuth.Tests.EndToEnd;

/// <summary>A tool that waits until the test lets it finish: keeps a request in flight on purpose.</summary>
[McpServerToolType]
public sealed class GateTools
{
    private static int _calls;

    public static SemaphoreSlim Gate { get; } = new(0);

    /// <summary>How many times the tool was started.</summary>
    public static int Calls => Volatile.Read(ref _calls);

    [McpServerTool(Name = "wait_for_gate")]
    public static async Task<string> WaitForGate(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        await Gate.WaitAsync(cancellationToken);
        return "released";
    }
}

/// <summary>
/// The session manager's limits on real Kestrel, each refused with a JSON-RPC error and the documented status, and nothing
/// else disturbed: sessions per user (429), sessions in all (503), requests in flight on a legacy SSE session (429 +
/// Retry-After, nothing dropped), message size (413).
/// </summary>
public sealed class SessionLimitsTests : IAsyncLifetime
{
    private readonly SampleApp _app = new(
        kestrel: true,
        configure: o =>
        {
            o.Sessions.MaxPerUser = 2;
            o.Sessions.MaxTotal = 3;
            o.Sessions.MaxSseRequestsInFlight = 1;
            o.Sessions.MaxMessageBytes = 2048;
        },
        services: s => s.AddMcpServer().WithTools<GateTools>());

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private string Resource(string path) => new Uri(_app.BaseAddress, path).ToString().TrimEnd('/');

    private static async Task<string> AssertRefusedAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"Expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Contains("\"jsonrpc\":\"2.0\"", body, StringComparison.Ordinal);
        Assert.Contains("\"error\"", body, StringComparison.Ordinal);
        return body;
    }

    [Fact]
    public async Task SessionsPerUser_BeyondTheCap_AreRefusedWith429AndRetryAfter_ForTheClientHoldingThem_OtherUsersUnaffected()
    {
        using var http = _app.CreateRawClient();
        var alice = await new OAuthFlow(http).GetTokensAsync(Resource("/mcp"), "alice");
        var bob = await new OAuthFlow(http).GetTokensAsync(Resource("/mcp"), "bob");
        using var first = await McpWire.PostJsonAsync(http, "/mcp", McpWire.Initialize, alice.AccessToken);
        using var second = await McpWire.PostJsonAsync(http, "/mcp", McpWire.Initialize, alice.AccessToken);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);

        using var third = await McpWire.PostJsonAsync(http, "/mcp", McpWire.Initialize, alice.AccessToken);
        using var sse = await SendAsync(http, HttpMethod.Get, "/sse", (await new OAuthFlow(http).GetTokensAsync(Resource("/sse"), "alice")).AccessToken, null, completion: HttpCompletionOption.ResponseHeadersRead);
        using var bobs = await McpWire.PostJsonAsync(http, "/mcp", McpWire.Initialize, bob.AccessToken);

        // The client that holds the user's sessions is refused: it should close one of its own.
        Assert.Contains("open MCP sessions", await AssertRefusedAsync(third, HttpStatusCode.TooManyRequests), StringComparison.Ordinal);
        Assert.NotNull(third.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.OK, bobs.StatusCode);
        // Another client of the same user is not locked out (below); Alice's open sessions still work.
        Assert.Equal(HttpStatusCode.OK, sse.StatusCode);
        using var list = await McpWire.PostJsonAsync(http, "/mcp", McpWire.ListTools, alice.AccessToken, Assert.Single(second.Headers.GetValues("Mcp-Session-Id")));
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
    }

    [Fact]
    public async Task AClientHoldingAllOfAUsersSessions_CannotLockTheUsersOtherClientsOut_ItsLeastRecentlyUsedIdleSessionMakesRoom()
    {
        using var http = _app.CreateRawClient();
        var greedy = await new OAuthFlow(http).GetTokensAsync(Resource("/mcp"), "alice");
        var other = await new OAuthFlow(http).GetTokensAsync(Resource("/mcp"), "alice");
        using var older = await McpWire.PostJsonAsync(http, "/mcp", McpWire.Initialize, greedy.AccessToken);
        using var newer = await McpWire.PostJsonAsync(http, "/mcp", McpWire.Initialize, greedy.AccessToken);
        var olderId = Assert.Single(older.Headers.GetValues("Mcp-Session-Id"));
        var newerId = Assert.Single(newer.Headers.GetValues("Mcp-Session-Id"));
        using (var touch = await McpWire.PostJsonAsync(http, "/mcp", McpWire.ListTools, greedy.AccessToken, olderId))
        {
            Assert.Equal(HttpStatusCode.OK, touch.StatusCode);   // the older one is now the more recently used
        }

        using var others = await McpWire.PostJsonAsync(http, "/mcp", McpWire.Initialize, other.AccessToken);

        Assert.Equal(HttpStatusCode.OK, others.StatusCode);
        using var evicted = await McpWire.PostJsonAsync(http, "/mcp", McpWire.ListTools, greedy.AccessToken, newerId);
        Assert.Equal(HttpStatusCode.NotFound, evicted.StatusCode);
        using var kept = await McpWire.PostJsonAsync(http, "/mcp", McpWire.ListTools, greedy.AccessToken, olderId);
        Assert.Equal(HttpStatusCode.OK, kept.StatusCode);
        // Each client now holds one: neither can take the other's place.
        using var again = await McpWire.PostJsonAsync(http, "/mcp", McpWire.Initialize, greedy.AccessToken);
        await AssertRefusedAsync(again, HttpStatusCode.TooManyRequests);
        Assert.Equal(2, Sessions.ListForUser("alice").Count);
    }

    [Fact]
    public async Task Metrics_CountLiveSessionsByTransport_AndRefusalsByReason()
    {
        using var http = _app.CreateRawClient();
        var alice = await new OAuthFlow(http).GetTokensAsync(Resource("/mcp"), "alice");
        var factory = _app.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        var refused = new List<string>();
        long streamable = -1;
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            // This app's meter only: other test servers in the process publish the same names.
            if (instrument.Meter.Name == "McpSseAuth" && ReferenceEquals(instrument.Meter.Scope, factory))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var tagList = tags.ToArray();
            if (instrument.Name == "mcpsseauth.sessions.refused")
            {
                lock (refused)
                {
                    refused.Add((string)tagList.Single(t => t.Key == "mcpsseauth.refusal.reason").Value!);
                }
            }
            else if (instrument.Name == "mcpsseauth.sessions.active" && (string?)tagList.Single(t => t.Key == "mcpsseauth.transport").Value == "streamable_http")
            {
                streamable = value;
            }
        });
        listener.Start();

        for (var i = 0; i < 3; i++)
        {
            using var _ = await McpWire.PostJsonAsync(http, "/mcp", McpWire.Initialize, alice.AccessToken);
        }

        listener.RecordObservableInstruments();
        Assert.Equal(2, streamable);
        Assert.Equal(["sessions_per_user"], refused);
    }

    [Fact]
    public async Task SessionsInAll_BeyondTheCap_AreRefusedWith503()
    {
        using var http = _app.CreateRawClient();
        var alice = await new OAuthFlow(http).GetTokensAsync(Resource("/mcp"), "alice");
        var bob = await new OAuthFlow(http).GetTokensAsync(Resource("/mcp"), "bob");
        for (var i = 0; i < 2; i++)
        {
            using var mine = await McpWire.PostJsonAsync(http, "/mcp", McpWire.Initialize, alice.AccessToken);
            Assert.Equal(HttpStatusCode.OK, mine.StatusCode);
        }

        using var bobsFirst = await McpWire.PostJsonAsync(http, "/mcp", McpWire.Initialize, bob.AccessToken);
        using var bobsSecond = await McpWire.PostJsonAsync(http, "/mcp", McpWire.Initialize, bob.AccessToken);

        Assert.Equal(HttpStatusCode.OK, bobsFirst.StatusCode);
        await AssertRefusedAsync(bobsSecond, HttpStatusCode.ServiceUnavailable);
        Assert.NotNull(bobsSecond.Headers.RetryAfter);
    }

    [Fact]
    public async Task SseRequestsInFlight_BeyondTheCap_Are429WithRetryAfter_AndNothingIsDropped()
    {
        using var http = _app.CreateRawClient();
        var (tokens, stream, reader, messagePath) = await OpenInitializedSseAsync(http);
        using (stream)
        using (reader)
        {
            using var waiting = await McpWire.PostJsonAsync(http, messagePath, """{"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":"wait_for_gate","arguments":{}}}""", tokens.AccessToken);
            using var refused = await McpWire.PostJsonAsync(http, messagePath, """{"jsonrpc":"2.0","id":11,"method":"tools/list"}""", tokens.AccessToken);
            // A notification is no request: it is never held back.
            using var notification = await McpWire.PostJsonAsync(http, messagePath, """{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":999}}""", tokens.AccessToken);

            Assert.Equal(HttpStatusCode.Accepted, waiting.StatusCode);
            Assert.Equal(1, Assert.Single(_app.Services.GetRequiredService<IMcpSessions>().ListForUser("alice")).RequestsInFlight);
            await AssertRefusedAsync(refused, HttpStatusCode.TooManyRequests);
            Assert.Equal("1", refused.Headers.RetryAfter?.ToString());
            Assert.Equal(HttpStatusCode.Accepted, notification.StatusCode);

            GateTools.Gate.Release();
            Assert.Contains("released", await McpWire.ReadDataEventAsync(reader), StringComparison.Ordinal);
            // The slot is free again once the answer went out.
            using var retried = await McpWire.PostJsonAsync(http, messagePath, """{"jsonrpc":"2.0","id":11,"method":"tools/list"}""", tokens.AccessToken);
            Assert.Equal(HttpStatusCode.Accepted, retried.StatusCode);
            Assert.Contains("wait_for_gate", await McpWire.ReadDataEventAsync(reader), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task SseRequest_SentAgainWhileItIsStillWaiting_IsAcceptedButRunOnce()
    {
        // What a relay that timed out, or a client's retry, sends: the same JSON-RPC id on the same session.
        using var http = _app.CreateRawClient();
        var (tokens, stream, reader, messagePath) = await OpenInitializedSseAsync(http);
        using (stream)
        using (reader)
        {
            const string call = """{"jsonrpc":"2.0","id":20,"method":"tools/call","params":{"name":"wait_for_gate","arguments":{}}}""";
            var before = GateTools.Calls;
            using var first = await McpWire.PostJsonAsync(http, messagePath, call, tokens.AccessToken);
            using var again = await McpWire.PostJsonAsync(http, messagePath, call, tokens.AccessToken);
            Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
            Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);

            // Enough permits for two runs: only one answer comes, then the next request's.
            GateTools.Gate.Release(2);
            Assert.Contains("released", await McpWire.ReadDataEventAsync(reader), StringComparison.Ordinal);
            using var list = await McpWire.PostJsonAsync(http, messagePath, """{"jsonrpc":"2.0","id":21,"method":"tools/list"}""", tokens.AccessToken);
            Assert.Equal(HttpStatusCode.Accepted, list.StatusCode);
            Assert.Contains("\"id\":21", await McpWire.ReadDataEventAsync(reader), StringComparison.Ordinal);
            Assert.Equal(before + 1, GateTools.Calls);
            Assert.True(GateTools.Gate.Wait(0));   // the permit the second run would have taken, given back
        }
    }

    [Theory]
    [InlineData("/mcp")]
    [InlineData("/sse")]
    public async Task MessageLargerThanTheLimit_Is413(string path)
    {
        using var http = _app.CreateRawClient();
        var tokens = await new OAuthFlow(http).GetTokensAsync(Resource(path), "alice");
        var target = "/mcp";
        HttpResponseMessage? stream = null;
        StreamReader? reader = null;
        if (path == "/sse")
        {
            (stream, reader, target) = await McpWire.OpenSseAsync(http, tokens.AccessToken);
        }

        using (stream)
        using (reader)
        {
            var big = """{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"message":""" + "\"" + new string('x', 4096) + "\"}}}";
            using var response = await McpWire.PostJsonAsync(http, target, big, tokens.AccessToken);

            await AssertRefusedAsync(response, HttpStatusCode.RequestEntityTooLarge);
            Assert.True(Encoding.UTF8.GetByteCount(big) > 2048);
        }
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpMethod method, string path, string token, string? sessionHeader, HttpContent? content = null, HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (sessionHeader is not null)
        {
            request.Headers.Add("Mcp-Session-Id", sessionHeader);
            request.Headers.Add("MCP-Protocol-Version", "2025-06-18");
        }

        return await http.SendAsync(request, completion);
    }

    private IMcpSessions Sessions => _app.Services.GetRequiredService<IMcpSessions>();

    /// <summary>alice's legacy SSE session, initialized: ready for requests.</summary>
    private async Task<(TokenSet Tokens, HttpResponseMessage Stream, StreamReader Reader, string MessagePath)> OpenInitializedSseAsync(HttpClient http)
    {
        var tokens = await new OAuthFlow(http).GetTokensAsync(Resource("/sse"), "alice");
        var (stream, reader, messagePath) = await McpWire.OpenSseAsync(http, tokens.AccessToken);
        Assert.Equal(HttpStatusCode.Accepted, (await McpWire.PostJsonAsync(http, messagePath, McpWire.Initialize, tokens.AccessToken)).StatusCode);
        await McpWire.ReadDataEventAsync(reader);
        Assert.Equal(HttpStatusCode.Accepted, (await McpWire.PostJsonAsync(http, messagePath, """{"jsonrpc":"2.0","method":"notifications/initialized"}""", tokens.AccessToken)).StatusCode);
        return (tokens, stream, reader, messagePath);
    }

    [Theory]
    [InlineData("bogus")]
    [InlineData("own")]
    public async Task SseMessage_WithAnMcpSessionIdHeader_IsStillBoundToTheQuerysSession(string header)
    {
        using var http = _app.CreateRawClient();
        var owner = await new OAuthFlow(http).GetTokensAsync(Resource("/sse"), "alice");
        var other = await new OAuthFlow(http).GetTokensAsync(Resource("/sse"), "alice");
        var (stream, reader, messagePath) = await McpWire.OpenSseAsync(http, owner.AccessToken);
        var (otherStream, otherReader, otherPath) = await McpWire.OpenSseAsync(http, other.AccessToken);
        using (stream)
        using (reader)
        using (otherStream)
        using (otherReader)
        {
            // The header names a bogus session, or the other client's own live one: the query's session decides.
            var named = header == "own" ? otherPath[(otherPath.IndexOf('=', StringComparison.Ordinal) + 1)..] : header;
            using var tricked = await SendAsync(http, HttpMethod.Post, messagePath, other.AccessToken, named, new StringContent(McpWire.Initialize, Encoding.UTF8, "application/json"));

            await AssertRefusedAsync(tricked, HttpStatusCode.Forbidden);
            // The owner still works, and the first thing on its stream is its own answer.
            Assert.Equal(HttpStatusCode.Accepted, (await McpWire.PostJsonAsync(http, messagePath, """{"jsonrpc":"2.0","id":77,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"owner","version":"1"}}}""", owner.AccessToken)).StatusCode);
            Assert.Contains("\"id\":77", await McpWire.ReadDataEventAsync(reader), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task SseStreams_WithAnMcpSessionIdHeader_StillCountAgainstTheCap()
    {
        using var http = _app.CreateRawClient();
        var alice = await new OAuthFlow(http).GetTokensAsync(Resource("/sse"), "alice");
        var statuses = new List<HttpStatusCode>();
        var opened = new List<HttpResponseMessage>();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                var response = await SendAsync(http, HttpMethod.Get, "/sse", alice.AccessToken, "x" + i, completion: HttpCompletionOption.ResponseHeadersRead);
                opened.Add(response);
                statuses.Add(response.StatusCode);
                if (response.IsSuccessStatusCode)
                {
                    await McpWire.ReadEndpointEventAsync(new StreamReader(await response.Content.ReadAsStreamAsync()));
                }
            }

            Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
        }
        finally
        {
            opened.ForEach(r => r.Dispose());
        }
    }

    [Fact]
    public async Task ConcurrentOpens_NeverOvershootThePerUserCap()
    {
        using var http = _app.CreateRawClient();
        var alice = await new OAuthFlow(http).GetTokensAsync(Resource("/sse"), "alice");
        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => SendAsync(http, HttpMethod.Get, "/sse", alice.AccessToken, null, completion: HttpCompletionOption.ResponseHeadersRead)));
        try
        {
            Assert.Equal(2, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
            Assert.Equal(8, responses.Count(r => r.StatusCode == HttpStatusCode.TooManyRequests));
            foreach (var open in responses.Where(r => r.IsSuccessStatusCode))
            {
                await McpWire.ReadEndpointEventAsync(new StreamReader(await open.Content.ReadAsStreamAsync()));
            }

            for (var i = 0; i < 50 && Sessions.ListForUser("alice").Count < 2; i++)
            {
                await Task.Delay(50);
            }

            Assert.Equal(2, Sessions.ListForUser("alice").Count);
        }
        finally
        {
            foreach (var response in responses)
            {
                response.Dispose();
            }
        }
    }

    [Fact]
    public async Task CancelledOrRefusedSseRequests_FreeTheirSlot()
    {
        using var http = _app.CreateRawClient();
        var (tokens, stream, reader, messagePath) = await OpenInitializedSseAsync(http);
        using (stream)
        using (reader)
        {
            using var waiting = await McpWire.PostJsonAsync(http, messagePath, """{"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":"wait_for_gate","arguments":{}}}""", tokens.AccessToken);
            Assert.Equal(1, Assert.Single(Sessions.ListForUser("alice")).RequestsInFlight);
            using var cancel = await McpWire.PostJsonAsync(http, messagePath, """{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":10}}""", tokens.AccessToken);
            Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
            Assert.Equal(0, Assert.Single(Sessions.ListForUser("alice")).RequestsInFlight);

            // Not JSON, or not JSON-RPC: 400 with a JSON-RPC error, never a 500, and no slot taken.
            foreach (var bad in new[] { "{not json", """{"jsonrpc":"2.0","id":1,"method":5}""", "[1,2]", """{"jsonrpc":"2.0","id":{"x":1},"method":"ping"}""" })
            {
                using var refused = await McpWire.PostJsonAsync(http, messagePath, bad, tokens.AccessToken);
                var body = await AssertRefusedAsync(refused, HttpStatusCode.BadRequest);
                Assert.Contains("-32700", body, StringComparison.Ordinal);
            }

            using var next = await McpWire.PostJsonAsync(http, messagePath, """{"jsonrpc":"2.0","id":11,"method":"tools/list"}""", tokens.AccessToken);
            Assert.Equal(HttpStatusCode.Accepted, next.StatusCode);
            Assert.Contains("wait_for_gate", await McpWire.ReadDataEventAsync(reader), StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// A body without Content-Length (chunked), written in one go: the server sees all of it before it answers, so its
    /// refusal is not lost to a connection closed under a client still uploading.
    /// </summary>
    private sealed class UnsizedContent(int size) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
            => await stream.WriteAsync(Encoding.UTF8.GetBytes("""{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"pad":" """ + new string('x', size) + "\"}}"));

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    [Theory]
    [InlineData("/mcp")]
    [InlineData("/sse")]
    public async Task ChunkedMessageLargerThanTheLimit_Is413WithAJsonRpcError(string path)
    {
        using var http = _app.CreateRawClient();
        var tokens = await new OAuthFlow(http).GetTokensAsync(Resource(path), "alice");
        HttpResponseMessage? stream = null;
        StreamReader? reader = null;
        string target = "/mcp";
        string? sessionId = null;
        if (path == "/sse")
        {
            (stream, reader, target) = await McpWire.OpenSseAsync(http, tokens.AccessToken);
        }
        else
        {
            using var init = await McpWire.PostJsonAsync(http, "/mcp", McpWire.Initialize, tokens.AccessToken);
            sessionId = Assert.Single(init.Headers.GetValues("Mcp-Session-Id"));
        }

        using (stream)
        using (reader)
        {
            // Over the 2,048-byte limit.
            var content = new UnsizedContent(2600);
            content.Headers.ContentType = new("application/json");
            using var response = await SendAsync(http, HttpMethod.Post, target, tokens.AccessToken, sessionId, content);
            await AssertRefusedAsync(response, HttpStatusCode.RequestEntityTooLarge);
        }
    }

    [Fact]
    public async Task IdleSweep_LeavesAStreamableSessionAlone_WhileARequestIsBeingHandled()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = new SampleApp(
            kestrel: true,
            configure: o => o.Sessions.IdleTimeout = TimeSpan.FromMinutes(8),
            services: s => { s.AddSingleton<TimeProvider>(clock); s.AddMcpServer().WithTools<GateTools>(); });
        using var http = app.CreateRawClient();
        var tokens = await new OAuthFlow(http).GetTokensAsync(new Uri(app.BaseAddress, "/mcp").ToString(), "alice");
        using var init = await McpWire.PostJsonAsync(http, "/mcp", McpWire.Initialize, tokens.AccessToken);
        var sessionId = Assert.Single(init.Headers.GetValues("Mcp-Session-Id"));
        using var initialized = await McpWire.PostJsonAsync(http, "/mcp", """{"jsonrpc":"2.0","method":"notifications/initialized"}""", tokens.AccessToken, sessionId);
        var sessions = app.Services.GetRequiredService<IMcpSessions>();

        var call = McpWire.PostJsonAsync(http, "/mcp", """{"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":"wait_for_gate","arguments":{}}}""", tokens.AccessToken, sessionId);
        for (var i = 0; i < 100 && Assert.Single(sessions.ListForUser("alice")).RequestsInFlight == 0; i++)
        {
            await Task.Delay(20);
        }

        Assert.Equal(1, Assert.Single(sessions.ListForUser("alice")).RequestsInFlight);
        for (var minute = 0; minute < 12; minute++)
        {
            clock.Advance(TimeSpan.FromMinutes(1));
        }

        Assert.Single(sessions.ListForUser("alice"));
        GateTools.Gate.Release();
        using var answered = await call;
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        Assert.Contains("released", await answered.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
