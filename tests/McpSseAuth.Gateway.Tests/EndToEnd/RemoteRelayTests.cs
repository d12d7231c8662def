using System.Security.Claims;
using System.Text.Json;
using McpSseAuth.Gateway.Tests.Infrastructure;
using McpSseAuth.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace McpSseAuth.Gateway.Tests.EndToEnd;

/// <summary>
/// Remote servers behind the gateway, over legacy SSE and Streamable HTTP: relayed through their own endpoints on both
/// client transports; only configured headers and the user's own values go to them, never the caller's token; a server
/// that forgets its session is re-initialised without the client noticing.
/// </summary>
public sealed class RemoteRelayTests(RemoteGatewayFixture fixture) : IClassFixture<RemoteGatewayFixture>
{
    private GatewayHost Host => fixture.Host;

    [Theory]
    [InlineData("everything_sse", "mcp", HttpTransportMode.StreamableHttp)]
    [InlineData("everything_sse", "sse", HttpTransportMode.Sse)]
    [InlineData("everything_http", "mcp", HttpTransportMode.StreamableHttp)]
    [InlineData("everything_http", "sse", HttpTransportMode.Sse)]
    public async Task RemoteServer_ThroughItsOwnEndpoint_ListsCallsAndReportsProgress(string backend, string transport, HttpTransportMode mode)
    {
        await using var client = await SdkClients.ConnectAsync(Host.Url($"/{backend}/{transport}"), mode, "alice", clientOptions: new McpClientOptions { ProtocolVersion = "2025-11-25" });

        var tools = await client.ListToolsAsync();
        Assert.Contains(tools, t => t.Name == "get-sum");
        var sum = await client.CallToolAsync("get-sum", new Dictionary<string, object?> { ["a"] = 20, ["b"] = 22 });
        Assert.Contains("42", SdkClients.TextOf(sum), StringComparison.Ordinal);

        var updates = new List<float>();
        var progress = new Progress(updates);
        await client.CallToolAsync("trigger-long-running-operation", new Dictionary<string, object?> { ["duration"] = 0.3, ["steps"] = 3 }, progress);
        Assert.InRange(updates.Count, 1, 3);
    }

    [Theory]
    [InlineData("/filtered/mcp", "")]
    [InlineData("/mcp", "filtered__")]
    public async Task TheToolFilter_OfARemoteServer_HoldsForListsAndCalls_OnItsPathsAndInTheAggregate(string path, string prefix)
    {
        await using var client = await SdkClients.ConnectAsync(Host.Url(path), HttpTransportMode.StreamableHttp, "bob");

        var offered = (await client.ListToolsAsync()).Select(t => t.Name).Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).ToArray();

        Assert.Contains(prefix + "echo", offered);
        Assert.Contains(prefix + "get-sum", offered);
        Assert.DoesNotContain(prefix + "get-env", offered);
        Assert.DoesNotContain(prefix + "trigger-long-running-operation", offered);
        var blocked = await Assert.ThrowsAsync<McpProtocolException>(() => client.CallToolAsync(prefix + "get-env").AsTask());
        Assert.Contains("Unknown tool", blocked.Message, StringComparison.Ordinal);
        Assert.Contains("42", SdkClients.TextOf(await client.CallToolAsync(prefix + "get-sum", new Dictionary<string, object?> { ["a"] = 40, ["b"] = 2 })), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RemoteServer_GetsConfiguredHeadersAndTheUsersOwnToken_NeverTheCallersToken()
    {
        await SetTokenAsync("alice", "alice-echo-token");
        await using var client = await SdkClients.ConnectAsync(Host.Url("/echo/mcp"), HttpTransportMode.StreamableHttp, "alice");

        var headers = JsonSerializer.Deserialize<Dictionary<string, string>>(SdkClients.TextOf(await client.CallToolAsync("request_headers")))!;

        Assert.Equal("Bearer alice-echo-token", headers["authorization"]);
        Assert.Equal("static-key", headers["x-api-key"]);
        Assert.Equal("alice", headers["x-user"]);
        Assert.False(headers.ContainsKey("cookie"));
        Assert.DoesNotContain(headers.Values, v => v.Contains("eyJ", StringComparison.Ordinal));   // no JWT: not the caller's access token
    }

    [Fact]
    public async Task TwoUsers_EachReachTheServerWithTheirOwnToken_NeverTheOthers()
    {
        await SetTokenAsync("alice", "alice-echo-token");
        await SetTokenAsync("bob", "bob-echo-token");
        await using var alice = await SdkClients.ConnectAsync(Host.Url("/echo/mcp"), HttpTransportMode.StreamableHttp, "alice");
        await using var bob = await SdkClients.ConnectAsync(Host.Url("/mcp"), HttpTransportMode.StreamableHttp, "bob");

        var aliceHeaders = SdkClients.TextOf(await alice.CallToolAsync("request_headers"));
        var bobHeaders = SdkClients.TextOf(await bob.CallToolAsync("echo__request_headers"));

        Assert.Contains("Bearer alice-echo-token", aliceHeaders, StringComparison.Ordinal);
        Assert.DoesNotContain("bob", aliceHeaders, StringComparison.Ordinal);
        Assert.Contains("Bearer bob-echo-token", bobHeaders, StringComparison.Ordinal);
        Assert.DoesNotContain("alice", bobHeaders, StringComparison.Ordinal);
        await Host.Services.GetRequiredService<IMcpUserTokens>().DeleteServiceTokenAsync(new ClaimsPrincipal(new ClaimsIdentity([new Claim("sub", "bob")], "test")), "echo");
    }

    [Fact]
    public async Task AMissingUserToken_GivesAToolErrorNamingThePageToAddIt()
    {
        await using var client = await SdkClients.ConnectAsync(Host.Url("/echo/mcp"), HttpTransportMode.StreamableHttp, "bob", clientOptions: new McpClientOptions { ProtocolVersion = "2025-11-25" });

        var result = await client.CallToolAsync("request_headers");

        Assert.True(result.IsError);
        Assert.Contains("needs your Echo API token", SdkClients.TextOf(result), StringComparison.Ordinal);
        Assert.Contains(Host.Url("/oauth/tokens").AbsoluteUri, SdkClients.TextOf(result), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMissingUserToken_SendsAClientThatSupportsUrlElicitationToThePage()
    {
        var options = new McpClientOptions
        {
            ProtocolVersion = "2025-11-25",
            Capabilities = new ClientCapabilities { Elicitation = new ElicitationCapability { Url = new UrlElicitationCapability() } },
            Handlers = new McpClientHandlers { ElicitationHandler = (_, _) => ValueTask.FromResult(new ElicitResult { Action = "decline" }) },
        };
        await using var client = await SdkClients.ConnectAsync(Host.Url("/echo/mcp"), HttpTransportMode.StreamableHttp, "bob", clientOptions: options);

        var required = await Assert.ThrowsAsync<UrlElicitationRequiredException>(() => client.CallToolAsync("request_headers").AsTask());

        var elicitation = Assert.Single(required.Elicitations);
        Assert.Equal("url", elicitation.Mode);
        Assert.Equal(Host.Url("/oauth/tokens").AbsoluteUri, elicitation.Url);
    }

    [Fact]
    public async Task ARemoteServerThatForgetsTheSession_IsReinitialisedTransparently()
    {
        await SetTokenAsync("alice", "alice-echo-token");
        await using var client = await SdkClients.ConnectAsync(Host.Url("/echo/sse"), HttpTransportMode.Sse, "alice");
        Assert.Contains("alice-echo-token", SdkClients.TextOf(await client.CallToolAsync("request_headers")), StringComparison.Ordinal);
        var refusedBefore = fixture.Echo.Refused;

        fixture.Echo.ForgetSessions();
        var again = await client.CallToolAsync("request_headers");

        Assert.NotEqual(true, again.IsError);
        Assert.Contains("alice-echo-token", SdkClients.TextOf(again), StringComparison.Ordinal);
        Assert.True(fixture.Echo.Refused > refusedBefore);
    }

    private async Task SetTokenAsync(string user, string token)
    {
        var principal = new ClaimsPrincipal(new ClaimsIdentity([new Claim("sub", user)], "test"));
        await Host.Services.GetRequiredService<IMcpUserTokens>().SetServiceTokenAsync(principal, "echo", token);
    }

    private sealed class Progress(List<float> updates) : IProgress<ProgressNotificationValue>
    {
        public void Report(ProgressNotificationValue value)
        {
            lock (updates)
            {
                updates.Add(value.Progress);
            }
        }
    }
}
