using McpSseAuth.Tests.Infrastructure;

namespace McpSseAuth.Tests.EndToEnd;

/// <summary>
/// More real clients, pinned by tests/e2e-ts's lockfile, each with its own OAuth code: through client.mjs the TypeScript SDK
/// 2.x (@modelcontextprotocol/client) and the Vercel AI SDK's MCP client (@ai-sdk/mcp); and mcp-remote, the stdio bridge
/// of Claude Desktop and other stdio-only hosts, spawned and spoken to over stdio (mcp-remote-client.mjs); and the MCP
/// Inspector's CLI, which signs in by itself (inspector-client.mjs, on the pinned Node 22 it needs). They sign in and
/// call a tool on both transports; where they do not step up on 403 <c>insufficient_scope</c>, the test proves it.
/// </summary>
public sealed class NodeClientsTests : IAsyncLifetime
{
    private const string TypeScriptV2 = "TypeScript SDK 2.0.0";
    private const string AiSdk = "Vercel AI SDK MCP client 2.0.99";
    private const string McpRemote = "mcp-remote 0.15.1";
    private const string Inspector = "MCP Inspector 2.12.0 (CLI)";

    private readonly SampleApp _app = new(kestrel: true);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private Task<TypeScriptClient.Result> RunAsync(string sdk, string path, string transport, params string[] more)
        => TypeScriptClient.RunAsync(["--url", new Uri(_app.BaseAddress, path).ToString(), "--transport", transport, "--user", "alice", "--password", "alice", "--sdk", sdk, .. more]);

    [Theory]
    [InlineData("ts2", "/mcp", "http")]
    [InlineData("ts2", "/sse", "sse")]
    [InlineData("ai-sdk", "/mcp", "http")]
    [InlineData("ai-sdk", "/sse", "sse")]
    [Compatibility(TypeScriptV2, "streamable,sse", "discovery,registration")]
    [Compatibility(AiSdk, "streamable,sse", "discovery,registration")]
    public async Task TheClient_RegistersSignsIn_AndCallsWhoAmI(string sdk, string path, string transport)
    {
        var result = await RunAsync(sdk, path, transport);

        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.StandardError}");
        Assert.Contains("user=alice", result.Output!.Value.GetProperty("result").GetString(), StringComparison.Ordinal);
        Assert.Contains("scope=mcp:tools", result.Output!.Value.GetProperty("result").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/mcp", "http")]
    [InlineData("/sse", "sse")]
    [Compatibility(McpRemote, "streamable,sse", "discovery,registration")]
    public async Task McpRemote_RegistersSignsIn_AndCallsWhoAmI_OverStdio(string path, string transport)
    {
        var result = await TypeScriptClient.RunScriptAsync("mcp-remote-client.mjs", "--url", new Uri(_app.BaseAddress, path).ToString(), "--transport", transport, "--user", "alice", "--password", "alice");

        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.StandardError}");
        Assert.Contains("user=alice", result.Output!.Value.GetProperty("result").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/mcp", "http")]
    [InlineData("/sse", "sse")]
    [Compatibility(Inspector, "streamable,sse", "discovery,registration")]
    public async Task Inspector_RegistersSignsIn_AndCallsWhoAmI(string path, string transport)
    {
        var result = await TypeScriptClient.RunScriptOnNode22Async("inspector-client.mjs", "--url", new Uri(_app.BaseAddress, path).ToString(), "--transport", transport, "--user", "alice", "--password", "alice");

        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.StandardError}");
        Assert.Contains("user=alice", result.Output!.Value.GetProperty("result").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    [Compatibility(Inspector, "streamable", "step-up", Gap = "on 403 insufficient_scope it refreshes (which cannot widen the grant) instead of asking for the challenged scope, and stops", Link = "https://github.com/modelcontextprotocol/typescript-sdk/issues/2255")]
    public async Task Inspector_DoesNotStepUp()
    {
        var result = await TypeScriptClient.RunScriptOnNode22Async("inspector-client.mjs", "--url", new Uri(_app.BaseAddress, "/mcp").ToString(), "--transport", "http", "--user", "alice", "--password", "alice", "--tool", "server_stats");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Authorization complete.", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("the Inspector failed", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    [Compatibility(TypeScriptV2, "streamable", "step-up", Note = "also holding a refresh token")]
    public async Task TypeScriptV2_StepsUp_OnStreamableHttp_EvenHoldingARefreshToken()
    {
        var result = await RunAsync("ts2", "/mcp", "http", "--tool", "server_stats");

        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.StandardError}");
        Assert.True(result.Output!.Value.GetProperty("steppedUp").GetBoolean());
        Assert.StartsWith("sessions=", result.Output!.Value.GetProperty("result").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    [Compatibility(TypeScriptV2, "sse", "step-up", Gap = "its legacy SSE transport has no 403 handling: it reports the 403", Link = "https://github.com/modelcontextprotocol/typescript-sdk/pull/2356")]
    public async Task TypeScriptV2_OnLegacySse_ReportsThe403_InsteadOfSteppingUp()
    {
        var result = await RunAsync("ts2", "/sse", "sse", "--tool", "server_stats", "--no-refresh");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Insufficient scope", result.StandardError, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/mcp", "http")]
    [InlineData("/sse", "sse")]
    [Compatibility(AiSdk, "streamable,sse", "step-up", Gap = "does not authorize again on 403 insufficient_scope: it reports the 403")]
    public async Task AiSdk_DoesNotStepUp_ItReportsThe403(string path, string transport)
    {
        var result = await RunAsync("ai-sdk", path, transport, "--tool", "server_stats", "--no-refresh");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Insufficient scope", result.StandardError, StringComparison.Ordinal);
    }
}
