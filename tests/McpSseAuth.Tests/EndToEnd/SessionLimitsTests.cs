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
    public static SemaphoreSlim Gate { get; } = new(0);

    [McpServerTool(Name = "wait_for_gate")]
    public static async Task<string> WaitForGate(CancellationToken cancellationToken)
    {
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
            o.MaxSessionsPerUser = 2;
            o.MaxSessions = 3;
            o.MaxSseRequestsInFlight = 1;
            o.MaxMessageBytes = 2048;
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
    public async Task SessionsPerUser_BeyondTheCap_AreRefusedWith429_OnBothTransports_OtherUsersUnaffected()
    {
        using var http = _app.CreateRawClient();
        var alice = await new OAuthFlow(http).GetTokensAsync(Resource("/mcp"), "alice");
        var aliceSse = await new OAuthFlow(http).GetTokensAsync(Resource("/sse"), "alice");
        var bob = await new OAuthFlow(http).GetTokensAsync(Resource("/mcp"), "bob");
        using var first = await McpWire.PostJsonAsync(http, "/mcp", McpWire.Initialize, alice.AccessToken);
        using var second = await McpWire.PostJsonAsync(http, "/mcp", McpWire.Initialize, alice.AccessToken);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);

        using var third = await McpWire.PostJsonAsync(http, "/mcp", McpWire.Initialize, alice.AccessToken);
        using var sseRequest = new HttpRequestMessage(HttpMethod.Get, "/sse");
        sseRequest.Headers.Authorization = new("Bearer", aliceSse.AccessToken);
        using var sse = await http.SendAsync(sseRequest, HttpCompletionOption.ResponseHeadersRead);
        using var bobs = await McpWire.PostJsonAsync(http, "/mcp", McpWire.Initialize, bob.AccessToken);

        Assert.Contains("open MCP sessions", await AssertRefusedAsync(third, HttpStatusCode.TooManyRequests), StringComparison.Ordinal);
        await AssertRefusedAsync(sse, HttpStatusCode.TooManyRequests);
        Assert.Equal(HttpStatusCode.OK, bobs.StatusCode);
        // Alice's open sessions still work.
        using var list = await McpWire.PostJsonAsync(http, "/mcp", McpWire.ListTools, alice.AccessToken, Assert.Single(first.Headers.GetValues("Mcp-Session-Id")));
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
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
                    refused.Add((string)tagList.Single(t => t.Key == "reason").Value!);
                }
            }
            else if (instrument.Name == "mcpsseauth.sessions.active" && (string?)tagList.Single(t => t.Key == "transport").Value == "streamable_http")
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
    }

    [Fact]
    public async Task SseRequestsInFlight_BeyondTheCap_Are429WithRetryAfter_AndNothingIsDropped()
    {
        using var http = _app.CreateRawClient();
        var tokens = await new OAuthFlow(http).GetTokensAsync(Resource("/sse"), "alice");
        var (stream, reader, messagePath) = await McpWire.OpenSseAsync(http, tokens.AccessToken);
        using (stream)
        using (reader)
        {
            Assert.Equal(HttpStatusCode.Accepted, (await McpWire.PostJsonAsync(http, messagePath, McpWire.Initialize, tokens.AccessToken)).StatusCode);
            await McpWire.ReadDataEventAsync(reader);
            Assert.Equal(HttpStatusCode.Accepted, (await McpWire.PostJsonAsync(http, messagePath, """{"jsonrpc":"2.0","method":"notifications/initialized"}""", tokens.AccessToken)).StatusCode);

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
}
