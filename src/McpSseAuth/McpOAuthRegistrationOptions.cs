namespace McpSseAuth;

/// <summary>Dynamic client registration (RFC 7591) and its bounds: the <c>Registration</c> section of the configuration.</summary>
public sealed class McpOAuthRegistrationOptions
{
    /// <summary>
    /// Whether clients may register themselves (default true). The 2026-07-28 revision of MCP prefers Client ID Metadata
    /// Documents (<see cref="McpOAuthOptions.ClientMetadataDocuments"/>) and keeps dynamic registration as a deprecated
    /// fallback for older clients; with false, the registration endpoint is not mapped and the metadata names none, so
    /// clients use a metadata document or a configured client (<see cref="McpOAuthOptions.Clients"/>).
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// An initial access token (RFC 7591 §3): when set, dynamic registration requires <c>Authorization: Bearer</c> with it,
    /// so only clients you hand it to can register. At least 32 characters. Null (the default) leaves registration open,
    /// as MCP clients expect.
    /// </summary>
    public string? AccessToken { get; set; }

    /// <summary>
    /// Registrations allowed per client address within <see cref="Window"/> (default 200 per 10 minutes); beyond it 429
    /// with Retry-After. Sized for an office behind one NAT address: 100 people registering two or three clients each in
    /// the same half hour stay under it, while one address registering flat out needs hours to cycle
    /// <see cref="MaxClients"/>, and clients with a grant are never evicted. Behind a reverse proxy, use ASP.NET Core's
    /// forwarded-headers middleware so the address is right.
    /// </summary>
    public int MaxPerAddress { get; set; } = 200;

    /// <summary>The window of <see cref="MaxPerAddress"/>. Default 10 minutes.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Upper bound on dynamically registered clients. Default 10,000.</summary>
    public int MaxClients { get; set; } = 10_000;

    /// <summary>
    /// A registered client that no user allowed within this time is removed (default 7 days). One that was allowed is kept
    /// until its last token is older than both this and <see cref="McpOAuthTokenOptions.RefreshTokenLifetime"/>, so a
    /// client with a live grant is never removed. Configured clients are never removed.
    /// </summary>
    public TimeSpan UnusedClientLifetime { get; set; } = TimeSpan.FromDays(7);
}
