namespace McpSseAuth.Grants;

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
    /// <summary>
    /// True when the request was checked against the user's consents and none for this client was found: the user's "allow"
    /// is then first stored as a new consent, without reading one first (another one that appeared meanwhile is read and merged).
    /// </summary>
    public bool NoConsentBefore { get; init; }
    /// <summary>The DPoP key the code is to be bound to (RFC 9449 §10 <c>dpop_jkt</c>), when the client named one.</summary>
    public string? DpopJkt { get; init; }
}
