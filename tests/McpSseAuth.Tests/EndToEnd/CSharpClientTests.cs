using McpSseAuth.Tests.Infrastructure;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace McpSseAuth.Tests.EndToEnd;

/// <summary>The official C# SDK client goes all the way on real Kestrel: discovery, registration, sign-in, consent, PKCE, token, tools.</summary>
public sealed class CSharpClientTests : IAsyncLifetime
{
    private readonly SampleApp _app = new(kestrel: true);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Theory]
    [InlineData("/mcp", HttpTransportMode.StreamableHttp, "alice")]
    [InlineData("/sse", HttpTransportMode.Sse, "bob")]
    [InlineData("/mcp", HttpTransportMode.AutoDetect, "alice")]
    [InlineData("/sse", HttpTransportMode.AutoDetect, "bob")]
    [Compatibility("C# SDK 2.4.0", "streamable,sse", "discovery,registration")]
    public async Task SdkClient_CompletesOAuthFlow_AndCallsTools(string path, HttpTransportMode mode, string user)
    {
        await using var client = await SdkClients.ConnectAsync(new Uri(_app.BaseAddress, path), mode, user);

        var tools = await client.ListToolsAsync();
        Assert.Contains(tools, t => t.Name == "whoami");
        Assert.Contains(tools, t => t.Name == "echo");

        var whoami = await client.CallToolAsync("whoami");
        var text = Assert.IsType<TextContentBlock>(Assert.Single(whoami.Content)).Text;
        Assert.Contains($"user={user}", text, StringComparison.Ordinal);
        Assert.Contains("scope=mcp:tools", text, StringComparison.Ordinal);
        Assert.DoesNotContain("client_id=(none)", text, StringComparison.Ordinal);

        var echo = await client.CallToolAsync("echo", new Dictionary<string, object?> { ["message"] = "héllo <b>" });
        Assert.Equal("héllo <b>", Assert.IsType<TextContentBlock>(Assert.Single(echo.Content)).Text);
    }

    [Theory]
    [InlineData("/mcp", HttpTransportMode.StreamableHttp, 60 * 1024)]
    [InlineData("/mcp", HttpTransportMode.StreamableHttp, 70 * 1024)]
    [InlineData("/mcp", HttpTransportMode.StreamableHttp, 2 * 1024 * 1024)]
    [InlineData("/sse", HttpTransportMode.Sse, 60 * 1024)]
    [InlineData("/sse", HttpTransportMode.Sse, 2 * 1024 * 1024)]
    public async Task SdkClient_CallsWithLargeArguments_ReachTheToolWhole(string path, HttpTransportMode mode, int size)
    {
        // The scope check reads each call's method and tool first: small bodies in Kestrel's request pipe, larger ones
        // (past 64 KiB, and past Kestrel's 1 MiB request buffer) buffered; either way the tool gets every byte.
        await using var client = await SdkClients.ConnectAsync(new Uri(_app.BaseAddress, path), mode, "alice");
        var message = string.Concat(Enumerable.Range(0, size / 16).Select(i => i.ToString("x15", System.Globalization.CultureInfo.InvariantCulture) + "é"));

        var echo = await client.CallToolAsync("echo", new Dictionary<string, object?> { ["message"] = message });

        Assert.Equal(message, Assert.IsType<TextContentBlock>(Assert.Single(echo.Content)).Text);
    }
}
