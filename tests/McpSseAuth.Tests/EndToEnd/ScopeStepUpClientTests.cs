using McpSseAuth.Tests.Infrastructure;
using ModelContextProtocol.Client;

namespace McpSseAuth.Tests.EndToEnd;

/// <summary>
/// Real clients step up: connected with the basic scope, they call a tool that needs <c>mcp:admin</c>, get 403
/// insufficient_scope, ask the user again for the named scopes, and the call succeeds.
/// </summary>
public sealed class ScopeStepUpClientTests : IAsyncLifetime
{
    private readonly SampleApp _app = new(kestrel: true);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Theory]
    [InlineData("/mcp", HttpTransportMode.StreamableHttp)]
    [InlineData("/sse", HttpTransportMode.Sse)]
    [Compatibility("C# SDK 2.4.0", "streamable,sse", "step-up")]
    public async Task CSharpClient_StepsUp_AndCallsTheTool(string path, HttpTransportMode mode)
    {
        var signIns = 0;
        await using var client = await SdkClients.ConnectAsync(new Uri(_app.BaseAddress, path), mode, "alice", onSignIn: () => Interlocked.Increment(ref signIns));
        Assert.Contains("scope=mcp:tools", SdkClients.TextOf(await client.CallToolAsync("whoami")), StringComparison.Ordinal);
        Assert.Equal(1, signIns);

        var stats = SdkClients.TextOf(await client.CallToolAsync("server_stats"));

        Assert.StartsWith("sessions=", stats, StringComparison.Ordinal);
        Assert.Equal(2, signIns);
        Assert.Contains("mcp:admin", SdkClients.TextOf(await client.CallToolAsync("whoami")), StringComparison.Ordinal);
    }

    [Fact]
    [Compatibility("TypeScript SDK 1.32.2", "streamable", "step-up", Note = "registered without refresh_token")]
    public async Task TypeScriptClient_WithoutARefreshToken_StepsUp_AndCallsTheTool()
    {
        // The TypeScript SDK 1.32.2 answers insufficient_scope by refreshing when it holds a refresh token (which cannot
        // widen a grant, RFC 6749 §6), and by authorizing again with the named scopes when it does not.
        var result = await TypeScriptClient.RunAsync("--url", new Uri(_app.BaseAddress, "/mcp").ToString(), "--transport", "http", "--user", "alice", "--password", "alice", "--tool", "server_stats", "--no-refresh");

        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.StandardError}");
        var output = result.Output!.Value;
        Assert.True(output.GetProperty("steppedUp").GetBoolean());
        Assert.Contains("server_stats", output.GetProperty("tools").EnumerateArray().Select(t => t.GetString()));
        Assert.StartsWith("sessions=", output.GetProperty("result").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    [Compatibility("TypeScript SDK 1.32.2", "streamable", "step-up", Gap = "holding a refresh token, it refreshes instead of authorizing again and stops at the 403", Link = "https://github.com/modelcontextprotocol/typescript-sdk/issues/2255")]
    public async Task TypeScriptClient_HoldingARefreshToken_GetsAClear403_NotAWiderToken()
    {
        var result = await TypeScriptClient.RunAsync("--url", new Uri(_app.BaseAddress, "/mcp").ToString(), "--transport", "http", "--user", "alice", "--password", "alice", "--tool", "server_stats");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("403", result.StandardError, StringComparison.Ordinal);
    }
}
