namespace McpSseAuth.Benchmarks.AuthServers;

/// <summary>
/// oidc-provider 9.13.3 as an MCP authorization server (bench/node/oidc-provider-server.mjs): open dynamic registration of
/// public clients, PKCE S256, the resource indicator {base}/mcp with JWT (ES256) access tokens, rotating refresh tokens,
/// in-memory storage. A flow: POST /reg, GET /auth (303 to the interaction), GET /interaction/:uid (the consent page),
/// POST /interaction/:uid/confirm (303 to /auth/:uid), GET /auth/:uid (303 to the redirect URI), POST /token.
/// </summary>
internal sealed class OidcProviderFlow : IAuthServerFlow
{
    private readonly AuthServerEndpoints _endpoints;

    private OidcProviderFlow(ServerProcess server)
    {
        Server = server;
        _endpoints = new AuthServerEndpoints(server.BaseAddress, "/reg", "/auth", "/token", "login", "password", IssuesRefreshTokens: true);
    }

    public string Name => "oidc-provider 9.13.3";

    public bool SupportsRefresh => true;

    public bool HasLogin => true;

    public ServerProcess Server { get; }

    public static async Task<OidcProviderFlow> StartAsync()
        => new(await NodeServer.StartAsync("oidc-provider", "oidc-provider-server.mjs"));

    public Task<IAuthServerUser> SignInAsync(CancellationToken ct) => BrowserUser.SignInAsync(_endpoints, ct);

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}
