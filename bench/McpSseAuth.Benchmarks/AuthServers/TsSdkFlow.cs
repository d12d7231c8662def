namespace McpSseAuth.Benchmarks.AuthServers;

/// <summary>
/// The TypeScript MCP SDK 1.32.2's auth router (<c>mcpAuthRouter</c>, rate limits off) with its demo provider
/// (<c>DemoInMemoryAuthProvider</c>) on express (bench/node/ts-sdk-auth-server.mjs). The demo provider approves every
/// authorization at once, with neither sign-in nor consent, issues opaque (UUID) access tokens kept in a Map, and does not
/// implement the refresh_token grant. A flow: POST /register, GET /authorize (302 to the redirect URI), POST /token.
/// </summary>
internal sealed class TsSdkFlow : IAuthServerFlow
{
    private readonly AuthServerEndpoints _endpoints;

    private TsSdkFlow(ServerProcess server)
    {
        Server = server;
        _endpoints = new AuthServerEndpoints(server.BaseAddress, "/register", "/authorize", "/token", "username", "password", IssuesRefreshTokens: false);
    }

    public string Name => "TS SDK 1.32.2 auth router (demo provider)";

    public bool SupportsRefresh => false;

    public bool HasLogin => false;

    public ServerProcess Server { get; }

    public static async Task<TsSdkFlow> StartAsync()
        => new(await NodeServer.StartAsync("TS SDK auth router", "ts-sdk-auth-server.mjs"));

    public Task<IAuthServerUser> SignInAsync(CancellationToken ct) => BrowserUser.SignInAsync(_endpoints, ct);

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}
