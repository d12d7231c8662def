using McpSseAuth.Tests.Infrastructure;

namespace McpSseAuth.Tests.EndToEnd;

/// <summary>The official TypeScript SDK client (Streamable HTTP and SSE transports) completes the whole flow against real Kestrel.</summary>
public sealed class TypeScriptClientTests : IAsyncLifetime
{
    private readonly SampleApp _app = new(kestrel: true);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Theory]
    [InlineData("/mcp", "http", "alice")]
    [InlineData("/sse", "sse", "bob")]
    [Compatibility("TypeScript SDK 1.32.2", "streamable,sse", "discovery,registration")]
    public async Task TypeScriptClient_CompletesOAuthFlow_AndCallsWhoAmI(string path, string transport, string user)
    {
        var result = await TypeScriptClient.RunAsync("--url", new Uri(_app.BaseAddress, path).ToString(), "--transport", transport, "--user", user, "--password", user);

        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.StandardError}");
        var output = result.Output!.Value;
        Assert.Equal(transport, output.GetProperty("transport").GetString());
        var tools = output.GetProperty("tools").EnumerateArray().Select(t => t.GetString()).ToArray();
        Assert.Contains("whoami", tools);
        Assert.Contains("echo", tools);
        var text = output.GetProperty("result").GetString()!;
        Assert.Contains($"user={user}", text, StringComparison.Ordinal);
        Assert.Contains("scope=mcp:tools", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/mcp", "http")]
    [InlineData("/sse", "sse")]
    public async Task TypeScriptClient_UserDenies_GetsAccessDenied(string path, string transport)
    {
        var result = await TypeScriptClient.RunAsync("--url", new Uri(_app.BaseAddress, path).ToString(), "--transport", transport, "--user", "alice", "--password", "alice", "--decision", "deny");

        Assert.Equal(3, result.ExitCode);
        Assert.Equal("access_denied", result.Output!.Value.GetProperty("error").GetString());
    }

    [Fact]
    public async Task TypeScriptClient_WrongPassword_NeverGetsACode()
    {
        var result = await TypeScriptClient.RunAsync("--url", new Uri(_app.BaseAddress, "/mcp").ToString(), "--transport", "http", "--user", "alice", "--password", "wrong");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("not correct", result.StandardError, StringComparison.Ordinal);
    }
}
