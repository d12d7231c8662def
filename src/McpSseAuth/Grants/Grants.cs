namespace McpSseAuth.Grants;

/// <summary>
/// Who the tokens act for: the user's stable subject, a display name, and the claims access tokens carry
/// (<see cref="McpOAuthOptions.AccessTokenClaims"/>, captured at consent).
/// </summary>
internal sealed record GrantSubject(string Subject, string? Name, IReadOnlyDictionary<string, string[]>? Claims = null);

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
}

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
    /// <summary>When the grant's code was redeemed: no token of it outlives <see cref="McpOAuthOptions.RefreshTokenAbsoluteLifetime"/> from then.</summary>
    public required DateTimeOffset GrantCreatedAt { get; init; }
    public required DateTimeOffset ExpiresAt { get; init; }
}

/// <summary>An authorization request that passed validation and waits for the user's decision.</summary>
internal sealed record PendingAuthorization
{
    public required string ClientId { get; init; }
    public required string RedirectUri { get; init; }
    public required bool RedirectUriGiven { get; init; }
    /// <summary>Optional (OAuth 2.1 with PKCE does not need it): not <c>required</c>, since a null one is not stored at all.</summary>
    public string? State { get; init; }
    public required string CodeChallenge { get; init; }
    public required IReadOnlyList<string> Scopes { get; init; }
    /// <summary>The audiences: the one resource the client named (RFC 8707), or every protected resource when it named none.</summary>
    public required IReadOnlyList<string> Resources { get; init; }
    public required string Subject { get; init; }
    public required DateTimeOffset ExpiresAt { get; init; }
    /// <summary>The client address its user's share was counted under (Authorization/PendingShares).</summary>
    public string? AdmittedFrom { get; init; }
}

internal enum RedeemStatus
{
    Redeemed,
    NotFound,
    Expired,
    Replayed,
}
