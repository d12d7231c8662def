namespace McpSseAuth.Benchmarks.AuthServers;

/// <summary>
/// An authorization server under measurement, running in its own process, and the way an MCP client walks its
/// register → authorize → token flow.
/// </summary>
internal interface IAuthServerFlow : IAsyncDisposable
{
    /// <summary>What the tables and results call it, with its version.</summary>
    string Name { get; }

    /// <summary>Whether the server issues refresh tokens and answers the refresh_token grant.</summary>
    bool SupportsRefresh { get; }

    /// <summary>Whether the server has a login form (the TypeScript SDK's demo approves everyone without one).</summary>
    bool HasLogin { get; }

    ServerProcess Server { get; }

    /// <summary>
    /// A virtual user: its own HttpClient and cookie jar (no automatic redirects), signed in once where the server needs it
    /// (by one complete flow, whose tokens are dropped).
    /// </summary>
    Task<IAuthServerUser> SignInAsync(CancellationToken ct);
}

/// <summary>One virtual user of an <see cref="IAuthServerFlow"/>: a browser with its cookies plus the MCP client it drives.</summary>
internal interface IAuthServerUser : IDisposable
{
    /// <summary>
    /// Registers a new public client, authorizes it (PKCE S256, resource = the server's /mcp, state), consents where the
    /// server asks, and redeems the code. Throws on any unexpected status or missing field.
    /// </summary>
    Task<FlowTokens> RunFlowAsync(CancellationToken ct);

    /// <summary>
    /// <see cref="RunFlowAsync"/> for a user who is not signed in: the browser's cookies are dropped first, so the flow goes
    /// through the login form (user name and password posted and checked) before the consent.
    /// </summary>
    Task<FlowTokens> RunFlowWithLoginAsync(CancellationToken ct);

    /// <summary>Registers a new public client (RFC 7591) and returns its client_id; nothing else.</summary>
    Task<string> RegisterAsync(CancellationToken ct);

    /// <summary>The refresh_token grant; returns the rotated tokens.</summary>
    Task<FlowTokens> RefreshAsync(FlowTokens tokens, CancellationToken ct);
}

/// <summary>What a flow or a refresh yields: the client it was for, the access token and the (rotated) refresh token.</summary>
internal sealed record FlowTokens(string ClientId, string AccessToken, string? RefreshToken);
