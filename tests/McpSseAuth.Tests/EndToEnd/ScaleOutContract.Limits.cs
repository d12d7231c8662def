using System.Net;
using McpSseAuth.Tests.Infrastructure;
using McpSseAuth.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace McpSseAuth.Tests.EndToEnd;

/// <summary>The session caps and the legacy SSE requests in flight, counted across the instances, not per instance.</summary>
public abstract partial class ScaleOutContract
{
    [Fact]
    public async Task SessionCaps_HoldAcrossInstances_PerUser429_AnotherClientGetsItsFairShare_InAll503_AnEndedSessionFreesItsPlace()
    {
        await using var cluster = await StartClusterAsync(configure: o =>
        {
            o.Sessions.MaxPerUser = 2;
            o.Sessions.MaxTotal = 3;
        });
        using var a = cluster[0].CreateRawClient();
        using var b = cluster[1].CreateRawClient();
        var alice = await new OAuthFlow(a).GetTokensAsync(cluster.Resource("/mcp"), "alice");
        var aliceOnSse = await new OAuthFlow(b).GetTokensAsync(cluster.Resource("/sse"), "alice");
        var bob = await new OAuthFlow(b).GetTokensAsync(cluster.Resource("/mcp"), "bob");

        // Alice's two places, one on each instance: a third is refused on either, though each holds one.
        var first = await InitializeStreamableAsync(a, alice.AccessToken);
        await InitializeStreamableAsync(b, alice.AccessToken);
        using (var third = await McpWire.PostJsonAsync(a, "/mcp", McpWire.Initialize, alice.AccessToken))
        {
            await AssertRefusedAsync(third, HttpStatusCode.TooManyRequests, "open MCP sessions, the most allowed");
            Assert.NotNull(third.Headers.RetryAfter);
        }

        Assert.Single(cluster.Service<IMcpSessions>(0).ListForUser("alice"));
        Assert.Single(cluster.Service<IMcpSessions>(1).ListForUser("alice"));

        // Alice's other client (an SSE stream, at B) is not locked out by the first: the fair share ends the first client's
        // idle session on B, and the stream opens in its place.
        var (stream, reader, _) = await McpWire.OpenSseAsync(b, aliceOnSse.AccessToken);
        using var openStream = stream;
        using var openReader = reader;
        var onB = Assert.Single(await cluster.Service<IMcpSessions>(1).WaitForCountAsync("alice", 1));
        Assert.Equal(aliceOnSse.ClientId, onB.ClientId);

        // Bob's first session is the server's third; once all three are listed, his second is one too many for the server.
        await InitializeStreamableAsync(b, bob.AccessToken);
        await WaitForListedSessionsAsync(cluster, 3);
        using (var fourth = await McpWire.PostJsonAsync(a, "/mcp", McpWire.Initialize, bob.AccessToken))
        {
            await AssertRefusedAsync(fourth, HttpStatusCode.ServiceUnavailable, "as many MCP sessions as it can");
        }

        // Alice ends her session on A, at B: her place is free, and a new session opens on A.
        await EndSessionAsync(b, alice.AccessToken, first);

        Assert.Empty(await cluster.Service<IMcpSessions>(0).WaitForCountAsync("alice", 0));
        await WaitForListedSessionsAsync(cluster, 2);
        var again = await InitializeStreamableAsync(a, alice.AccessToken);
        Assert.NotEqual(first, again);
    }

    [Fact]
    public async Task ConcurrentOpens_OnBothInstances_NeverOvershootThePerUserCap()
    {
        await using var cluster = await StartClusterAsync(configure: o => o.Sessions.MaxPerUser = 3);
        using var a = cluster[0].CreateRawClient();
        using var b = cluster[1].CreateRawClient();
        var tokens = await new OAuthFlow(a).GetTokensAsync(cluster.Resource("/mcp"), "alice");

        var opens = await Task.WhenAll(Enumerable.Range(0, 12).Select(async i =>
        {
            using var response = await McpWire.PostJsonAsync(i % 2 == 0 ? a : b, "/mcp", McpWire.Initialize, tokens.AccessToken);
            return response.StatusCode;
        }));

        Assert.Equal(3, opens.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(9, opens.Count(s => s == HttpStatusCode.TooManyRequests));
        Assert.Equal(3, cluster.Service<IMcpSessions>(0).ListForUser("alice").Count + cluster.Service<IMcpSessions>(1).ListForUser("alice").Count);
    }

    [Fact]
    public async Task SseRequestsInFlight_PostedToTheOtherInstance_CountAgainstTheSessionsCap_AndACancellationThereFreesASlot()
    {
        await using var cluster = await StartClusterAsync(s => s.AddMcpServer().WithTools<RelayTools>(), o => o.Sessions.MaxSseRequestsInFlight = 2);
        using var a = cluster[0].CreateRawClient();
        using var b = cluster[1].CreateRawClient();
        var tokens = await new OAuthFlow(a).GetTokensAsync(cluster.Resource("/sse"), "alice");
        var run = Guid.NewGuid().ToString("N");
        string Waiting(int id) => """{"jsonrpc":"2.0","id":ID,"method":"tools/call","params":{"name":"wait_for_cancel","arguments":{"run":"RUN-ID"}}}""".Replace("RUN", run, StringComparison.Ordinal).Replace("ID", id.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

        var (stream, reader, messagePath) = await McpWire.OpenSseAsync(a, tokens.AccessToken);
        using (stream)
        using (reader)
        {
            using (var init = await McpWire.PostJsonAsync(b, messagePath, McpWire.Initialize, tokens.AccessToken))
            {
                Assert.Equal(HttpStatusCode.Accepted, init.StatusCode);
            }

            await McpWire.ReadDataEventAsync(reader);
            using (await McpWire.PostJsonAsync(b, messagePath, Initialized, tokens.AccessToken))
            {
            }

            // Two calls waiting, posted to B, held on A: a third, to either instance, is one too many.
            using (var one = await McpWire.PostJsonAsync(b, messagePath, Waiting(10), tokens.AccessToken))
            using (var two = await McpWire.PostJsonAsync(a, messagePath, Waiting(11), tokens.AccessToken))
            {
                Assert.Equal((HttpStatusCode.Accepted, HttpStatusCode.Accepted), (one.StatusCode, two.StatusCode));
            }

            await RelayTools.StartedAsync(run + "-10").WaitAsync(Recovery);

            using (var three = await McpWire.PostJsonAsync(b, messagePath, Waiting(12), tokens.AccessToken))
            {
                await AssertRefusedAsync(three, HttpStatusCode.TooManyRequests, "requests waiting for an answer");
                Assert.Equal("1", three.Headers.RetryAfter?.ToString());
            }

            // Cancelled at B: the call stops on A, its slot is free, and the third is taken.
            using (var cancel = await McpWire.PostJsonAsync(b, messagePath, """{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":10}}""", tokens.AccessToken))
            {
                Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
            }

            await RelayTools.CancelledAsync(run + "-10").WaitAsync(Recovery);
            using (var retried = await McpWire.PostJsonAsync(b, messagePath, Waiting(12), tokens.AccessToken))
            {
                Assert.Equal(HttpStatusCode.Accepted, retried.StatusCode);
            }

            await RelayTools.StartedAsync(run + "-12").WaitAsync(Recovery);
            Assert.Equal(1, RelayTools.RunsOf(run + "-12"));
            Assert.Equal(2, Assert.Single(cluster.Service<IMcpSessions>(0).ListForUser("alice")).RequestsInFlight);
        }
    }

    private static async Task AssertRefusedAsync(HttpResponseMessage response, HttpStatusCode status, string says)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Contains("\"error\"", body, StringComparison.Ordinal);
        Assert.Contains(says, body, StringComparison.Ordinal);
    }

    /// <summary>Waits until the instances' directory lists <paramref name="count"/> sessions (a session is listed just after it starts).</summary>
    private static async Task WaitForListedSessionsAsync(SampleCluster cluster, int count)
    {
        var storage = cluster.Service<IMcpOAuthStorage>(0);
        var deadline = DateTime.UtcNow + Recovery;
        int listed;
        while ((listed = (await storage.ListAsync("mcp-sessions", CancellationToken.None)).Count) != count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{listed} sessions listed, not {count}");
            await Task.Delay(20);
        }
    }
}
