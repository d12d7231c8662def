using System.Text.Json;
using McpSseAuth.Gateway.Tests.Infrastructure;
using McpSseAuth.Tests.Infrastructure;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace McpSseAuth.Gateway.Tests.EndToEnd;

/// <summary>
/// A stdio server (server-everything, started by the gateway per user) reached by the official C# SDK client through its
/// own endpoints on both transports: sign-in, tools, prompts, resources, and the messages that go the other way.
/// </summary>
public sealed class StdioRelayTests(StdioGatewayFixture fixture) : IClassFixture<StdioGatewayFixture>
{
    private GatewayHost Host => fixture.Host;

    [Theory]
    [InlineData("/everything/mcp", HttpTransportMode.StreamableHttp, null)]   // the SDK's default: 2026-07-28, stateless requests
    [InlineData("/everything/mcp", HttpTransportMode.StreamableHttp, "2025-11-25")]   // a session
    [InlineData("/everything/sse", HttpTransportMode.Sse, null)]
    public async Task StdioServer_ThroughItsOwnEndpoint_ListsAndCallsTools(string path, HttpTransportMode mode, string? protocol)
    {
        await using var client = await SdkClients.ConnectAsync(Host.Url(path), mode, "alice", clientOptions: new McpClientOptions { ProtocolVersion = protocol });
        Assert.Equal(protocol ?? (mode == HttpTransportMode.Sse ? "2025-11-25" : "2026-07-28"), client.NegotiatedProtocolVersion);

        var tools = await client.ListToolsAsync();
        Assert.Contains(tools, t => t.Name == "echo");
        Assert.Contains(tools, t => t.Name == "get-sum");

        var echo = await client.CallToolAsync("echo", new Dictionary<string, object?> { ["message"] = "héllo <b>" });
        Assert.Contains("héllo <b>", SdkClients.TextOf(echo), StringComparison.Ordinal);
        var sum = await client.CallToolAsync("get-sum", new Dictionary<string, object?> { ["a"] = 2, ["b"] = 40 });
        Assert.Contains("42", SdkClients.TextOf(sum), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PromptsResourcesAndCompletions_AreRelayed()
    {
        await using var client = await SdkClients.ConnectAsync(Host.Url("/everything/mcp"), HttpTransportMode.StreamableHttp, "alice");

        var prompts = await client.ListPromptsAsync();
        Assert.Contains(prompts, p => p.Name == "args-prompt");
        var prompt = await client.GetPromptAsync("args-prompt", new Dictionary<string, object?> { ["city"] = "Lisbon" });
        Assert.Contains("Lisbon", JsonSerializer.Serialize(prompt.Messages, McpJsonUtilities.DefaultOptions), StringComparison.Ordinal);

        var resources = await client.ListResourcesAsync();
        Assert.NotEmpty(resources);
        var read = await client.ReadResourceAsync(resources[0].Uri);
        Assert.NotEmpty(read.Contents);
        Assert.NotEmpty(await client.ListResourceTemplatesAsync());

        var completion = await client.CompleteAsync(new PromptReference { Name = "completable-prompt" }, "department", "E");
        Assert.Contains("Engineering", completion.Completion.Values);
    }

    [Theory]
    [InlineData("/everything/mcp", HttpTransportMode.StreamableHttp)]
    [InlineData("/everything/sse", HttpTransportMode.Sse)]
    public async Task Progress_FromTheServer_ReachesTheCallingRequest(string path, HttpTransportMode mode)
    {
        await using var client = await SdkClients.ConnectAsync(Host.Url(path), mode, "bob");
        var updates = new List<ProgressNotificationValue>();
        var progress = new SynchronousProgress(updates);

        var result = await client.CallToolAsync("trigger-long-running-operation", new Dictionary<string, object?> { ["duration"] = 0.3, ["steps"] = 3 }, progress);

        Assert.NotEqual(true, result.IsError);
        // The gateway sends all three before the result; the SDK client handles messages concurrently and may drop the
        // last one if it lands after the result (it does so connected to the server directly, too).
        var steps = updates.Select(u => u.Progress).ToArray();
        Assert.InRange(steps.Length, 1, 3);
        Assert.Equal(steps.Order().ToArray(), steps);
        Assert.All(updates, u => Assert.Equal(3f, u.Total));
    }

    [Theory]
    [InlineData("/everything/mcp", HttpTransportMode.StreamableHttp)]
    [InlineData("/everything/sse", HttpTransportMode.Sse)]
    public async Task SamplingAndElicitation_FromTheServer_AreAnsweredByTheClient(string path, HttpTransportMode mode)
    {
        var options = new McpClientOptions
        {
            // Server requests need a session: 2026-07-28 clients have none (they get multi-round-trip requests instead).
            ProtocolVersion = "2025-11-25",
            Handlers = new McpClientHandlers
            {
                SamplingHandler = (request, _, _) => ValueTask.FromResult(new CreateMessageResult
                {
                    Content = [new TextContentBlock { Text = "sampled: " + ((TextContentBlock)request!.Messages[0].Content[0]).Text }],
                    Model = "test-model",
                    Role = Role.Assistant,
                }),
                ElicitationHandler = (request, _) => ValueTask.FromResult(new ElicitResult
                {
                    Action = "accept",
                    Content = new Dictionary<string, JsonElement> { ["name"] = JsonSerializer.SerializeToElement("Ada") },
                }),
            },
        };
        await using var client = await SdkClients.ConnectAsync(Host.Url(path), mode, "alice", clientOptions: options);

        var sampled = await client.CallToolAsync("trigger-sampling-request", new Dictionary<string, object?> { ["prompt"] = "weather?" });
        Assert.True(sampled.IsError != true, JsonSerializer.Serialize(sampled.Content, McpJsonUtilities.DefaultOptions));
        Assert.Contains("sampled: ", JsonSerializer.Serialize(sampled.Content, McpJsonUtilities.DefaultOptions), StringComparison.Ordinal);
        Assert.Contains("weather?", JsonSerializer.Serialize(sampled.Content, McpJsonUtilities.DefaultOptions), StringComparison.Ordinal);

        var elicited = await client.CallToolAsync("trigger-elicitation-request", new Dictionary<string, object?>());
        Assert.Contains("Ada", JsonSerializer.Serialize(elicited.Content, McpJsonUtilities.DefaultOptions), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Roots_AreAskedOfTheClient_AndTheirChangesReachTheServer()
    {
        var roots = new List<Root> { new() { Uri = "file:///work/first", Name = "first" } };
        var options = new McpClientOptions
        {
            ProtocolVersion = "2025-11-25",
            Capabilities = new ClientCapabilities { Roots = new RootsCapability { ListChanged = true } },
            Handlers = new McpClientHandlers { RootsHandler = (_, _) => ValueTask.FromResult(new ListRootsResult { Roots = [.. roots] }) },
        };
        await using var client = await SdkClients.ConnectAsync(Host.Url("/everything/mcp"), HttpTransportMode.StreamableHttp, "bob", clientOptions: options);

        Assert.Contains("file:///work/first", SdkClients.TextOf(await client.CallToolAsync("get-roots-list")), StringComparison.Ordinal);

        roots.Add(new Root { Uri = "file:///work/second", Name = "second" });
        await client.SendNotificationAsync(NotificationMethods.RootsListChangedNotification);
        for (var waited = 0; !SdkClients.TextOf(await client.CallToolAsync("get-roots-list")).Contains("file:///work/second", StringComparison.Ordinal); waited += 50)
        {
            Assert.True(waited < 10_000, "The server never saw the changed roots.");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task TwoUsers_GetTheirOwnProcesses_WithTheirOwnValues_AndNotTheGatewaysEnvironment()
    {
        await using var alice = await SdkClients.ConnectAsync(Host.Url("/everything/mcp"), HttpTransportMode.StreamableHttp, "alice");
        await using var bob = await SdkClients.ConnectAsync(Host.Url("/everything/sse"), HttpTransportMode.Sse, "bob");

        var aliceEnv = SdkClients.TextOf(await alice.CallToolAsync("get-env"));
        var bobEnv = SdkClients.TextOf(await bob.CallToolAsync("get-env"));

        Assert.Contains("\"GATEWAY_USER\": \"alice\"", aliceEnv, StringComparison.Ordinal);
        Assert.Contains("\"GATEWAY_USER\": \"bob\"", bobEnv, StringComparison.Ordinal);
        Assert.DoesNotContain(StdioGatewayFixture.GatewaySecretVariable, aliceEnv, StringComparison.Ordinal);
        Assert.DoesNotContain(StdioGatewayFixture.GatewaySecretVariable, bobEnv, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACommandThatCannotStart_GivesAToolErrorThatSaysSo()
    {
        await using var client = await SdkClients.ConnectAsync(Host.Url("/missing/mcp"), HttpTransportMode.StreamableHttp, "alice");

        var error = await Assert.ThrowsAsync<McpProtocolException>(() => client.ListToolsAsync().AsTask());
        Assert.Contains("'missing' is unavailable", error.Message, StringComparison.Ordinal);
        Assert.Contains("mcpsseauth-no-such-command", error.Message, StringComparison.Ordinal);

        var call = await client.CallToolAsync("anything");
        Assert.True(call.IsError);
        Assert.Contains("could not be run", SdkClients.TextOf(call), StringComparison.Ordinal);
    }

    private sealed class SynchronousProgress(List<ProgressNotificationValue> updates) : IProgress<ProgressNotificationValue>
    {
        public void Report(ProgressNotificationValue value)
        {
            lock (updates)
            {
                updates.Add(value);
            }
        }
    }
}
