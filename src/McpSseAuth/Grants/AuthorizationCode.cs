namespace McpSseAuth.Grants;

/// <summary>An authorization code (RFC 6749 §4.1.2), kept only by its hash, redeemable once.</summary>
internal sealed record AuthorizationCode
{
    public required string ClientId { get; init; }
    public required string RedirectUri { get; init; }
    /// <summary>RFC 6749 §4.1.3: the token request must repeat redirect_uri when the authorization request named it.</summary>
    public required bool RedirectUriGiven { get; init; }
    public required string CodeChallenge { get; init; }
    public required GrantSubject User { get; init; }
    public required IReadOnlyList<string> Scopes { get; init; }
    /// <summary>The audiences: the one resource the client named (RFC 8707), or every protected resource when it named none.</summary>
    public required IReadOnlyList<string> Resources { get; init; }
    public required string GrantId { get; init; }
    /// <summary>When it was issued: a consent given after that (a revoke, then a new allow) does not cover it.</summary>
    public required DateTimeOffset IssuedAt { get; init; }
    public required DateTimeOffset ExpiresAt { get; init; }
    /// <summary>RFC 9449 §10: redeemed only with a DPoP proof of this key (the thumbprint the authorization request named).</summary>
    public string? DpopJkt { get; init; }
}
