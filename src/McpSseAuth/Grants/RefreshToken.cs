namespace McpSseAuth.Grants;

/// <summary>A refresh token (RFC 6749 §6), kept only by its hash; rotated on each use (OAuth 2.1 §4.3.1).</summary>
internal sealed record RefreshToken
{
    public required string ClientId { get; init; }
    public required GrantSubject User { get; init; }
    public required IReadOnlyList<string> Scopes { get; init; }
    /// <summary>The audiences: the one resource the client named (RFC 8707), or every protected resource when it named none.</summary>
    public required IReadOnlyList<string> Resources { get; init; }
    /// <summary>All tokens descending from one authorization code share the grant id; replay revokes them all.</summary>
    public required string GrantId { get; init; }
    /// <summary>When the grant's code was redeemed: no token of it outlives <see cref="McpOAuthTokenOptions.RefreshTokenAbsoluteLifetime"/> from then.</summary>
    public required DateTimeOffset GrantCreatedAt { get; init; }
    public required DateTimeOffset ExpiresAt { get; init; }
    /// <summary>When the grant's record was last written (<see cref="GrantRecord.TouchInterval"/>); null in tokens stored before it was kept.</summary>
    public DateTimeOffset? GrantTouchedAt { get; init; }
    /// <summary>
    /// The thumbprint of the DPoP key a public client's refresh token is bound to (RFC 9449 §5): refreshed only with a proof
    /// of that key. Null for bearer grants and confidential clients (whose authentication binds them).
    /// </summary>
    public string? DpopJkt { get; init; }
}
