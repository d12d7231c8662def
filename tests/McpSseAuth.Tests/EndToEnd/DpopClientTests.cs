using McpSseAuth.Tests.Infrastructure;

namespace McpSseAuth.Tests.EndToEnd;

/// <summary>
/// DPoP with a real client implementation (npm openid-client 6: registration, code grant with PKCE, proofs, nonces,
/// refresh) driving the TypeScript MCP SDK's transports against the sample on Kestrel: a bound token on every request of
/// both transports, its refresh token usable only with the key, the same token refused as a bearer token.
/// </summary>
public sealed class DpopClientTests : IAsyncLifetime
{
    private readonly SampleApp _app = new(kestrel: true);
    private readonly SampleApp _nonces = new(kestrel: true, configure: o => o.Dpop.RequireNonce = true);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _nonces.DisposeAsync();
    }

    [Theory]
    [InlineData("/mcp", "http", false)]
    [InlineData("/sse", "sse", false)]
    [InlineData("/mcp", "http", true)]
    [InlineData("/sse", "sse", true)]
    [Compatibility("openid-client 6.8.9 with the TypeScript SDK transports", "streamable,sse", "discovery,registration,refresh,dpop")]
    public async Task OpenIdClient_GetsABoundToken_UsesItOnEveryRequest_AndRefreshesWithItsKeyOnly(string path, string transport, bool nonces)
    {
        var app = nonces ? _nonces : _app;

        var result = await TypeScriptClient.RunScriptAsync("dpop-client.mjs", "--url", new Uri(app.BaseAddress, path).ToString(), "--transport", transport, "--user", "alice", "--password", "alice");

        Assert.True(result.ExitCode == 0, result.StandardError);
        var output = result.Output!.Value;
        Assert.Equal("dpop", output.GetProperty("tokenType").GetString());
        Assert.Equal(43, output.GetProperty("boundTo").GetString()!.Length);
        Assert.Contains("user=alice", output.GetProperty("result").GetString(), StringComparison.Ordinal);
        Assert.Equal("dpop", output.GetProperty("refreshedTokenType").GetString());
        Assert.Contains("user=alice", output.GetProperty("resultAfterRefresh").GetString(), StringComparison.Ordinal);
        Assert.Equal(401, output.GetProperty("bearerStatus").GetInt32());
        Assert.Equal("invalid_grant", output.GetProperty("otherKeyRefresh").GetString());
        // With nonces required, the token endpoint and the resource each asked once, and openid-client retried.
        Assert.Equal(nonces ? 2 : 0, output.GetProperty("nonceChallenges").GetInt32());
    }
}
