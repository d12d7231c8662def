namespace McpSseAuth.Grants;

/// <summary>A grant as the user sees it on the connected-apps page: one per authorization code redeemed.</summary>
internal sealed record GrantRecord
{
    public required string GrantId { get; init; }
    public required string Subject { get; init; }
    public required string ClientId { get; init; }
    public required IReadOnlyList<string> Scopes { get; init; }
    public required IReadOnlyList<string> Resources { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    /// <summary>When tokens were last issued for it (code or refresh).</summary>
    public required DateTimeOffset LastUsedAt { get; init; }
    /// <summary>When nothing issued under it can be valid any more.</summary>
    public required DateTimeOffset ExpiresAt { get; init; }
}
