using McpSseAuth.Gateway.Tests.Infrastructure;
using McpSseAuth.Tests.Infrastructure;

namespace McpSseAuth.Gateway.Tests.EndToEnd;

/// <summary>The TypeScript SDK client (what Claude Code, VS Code and Cursor build on) signs in and calls a stdio server through the gateway, on both transports.</summary>
public sealed class TypeScriptClientTests(StdioGatewayFixture fixture) : IClassFixture<StdioGatewayFixture>
{
    [Theory]
    [InlineData("/everything/mcp", "http", "echo")]
    [InlineData("/everything/sse", "sse", "echo")]
    [InlineData("/mcp", "http", "everything__echo")]
    [InlineData("/sse", "sse", "everything__echo")]
    public async Task TypeScriptClient_SignsIn_AndCallsAStdioServer_ThroughItsOwnEndpointAndTheAggregate(string path, string transport, string tool)
    {
        var result = await TypeScriptClient.RunAsync(
            "--url", fixture.Host.Url(path).AbsoluteUri, "--transport", transport, "--user", "bob", "--password", "bob",
            "--tool", tool, "--args", """{"message":"from TypeScript"}""");

        Assert.True(result.ExitCode == 0, result.StandardError);
        var output = result.Output!.Value;
        Assert.Contains(output.GetProperty("tools").EnumerateArray(), t => t.GetString() == tool);
        Assert.Contains("from TypeScript", output.GetProperty("result").GetString(), StringComparison.Ordinal);
    }
}
