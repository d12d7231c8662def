namespace McpSseAuth.Grants;

/// <summary>A grant as the user sees it on the connected-apps page: one per authorization code redeemed.</summary>
internal sealed record GrantRecord
{
    /// <summary>
    /// How often a refresh writes the grant's last use and expiry: at most once per this interval per grant, so a refresh
    /// does not cost two storage calls more than it must. The page's "last used" is that precise, and the record is kept
    /// this much past its tokens, so it never goes before them.
    /// </summary>
    public static readonly TimeSpan TouchInterval = TimeSpan.FromMinutes(1);

    public required string GrantId { get; init; }
    public required string Subject { get; init; }
    public required string ClientId { get; init; }
    public required IReadOnlyList<string> Scopes { get; init; }
    public required IReadOnlyList<string> Resources { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    /// <summary>When tokens were last issued for it (code or refresh), to within <see cref="TouchInterval"/>.</summary>
    public required DateTimeOffset LastUsedAt { get; init; }
    /// <summary>When nothing issued under it can be valid any more (up to <see cref="TouchInterval"/> later).</summary>
    public required DateTimeOffset ExpiresAt { get; init; }
}
