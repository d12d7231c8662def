using McpSseAuth.Benchmarks.AuthServers;

namespace McpSseAuth.Benchmarks.Mcp;

/// <summary>
/// Access tokens for the load, from the sample's own authorization server by the flow a client runs (register, sign in
/// as alice, consent, redeem with PKCE), one per transport, each bound to its endpoint (<c>/mcp</c> or <c>/sse</c>).
/// </summary>
internal static class SampleTokens
{
    public static async Task<IReadOnlyDictionary<McpTransport, string>> GetAsync(ServerProcess sample, CancellationToken cancellationToken)
    {
        var tokens = new Dictionary<McpTransport, string>();
        foreach (var (transport, path) in new[] { (McpTransport.StreamableHttp, "/mcp"), (McpTransport.Sse, "/sse") })
        {
            var endpoints = new AuthServerEndpoints(sample.BaseAddress, "/oauth/register", "/oauth/authorize", "/oauth/token", "username", "password", IssuesRefreshTokens: true, path);
            using var user = await BrowserUser.SignInAsync(endpoints, cancellationToken);
            tokens[transport] = (await user.RunFlowAsync(cancellationToken)).AccessToken;
        }

        return tokens;
    }
}
