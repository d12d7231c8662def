namespace McpSseAuth.Grants;

/// <summary>
/// What a user allowed a client: asked again when the client wants more scopes or resources, or another redirect URI.
/// </summary>
internal sealed record Consent
{
    public required string Subject { get; init; }
    public required string ClientId { get; init; }
    public required IReadOnlyList<string> Scopes { get; init; }
    public required IReadOnlyList<string> Resources { get; init; }
    public required IReadOnlyList<string> RedirectUris { get; init; }
    public required DateTimeOffset GrantedAt { get; init; }
}

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

/// <summary>Remembered consents, per user and client.</summary>
internal interface IConsentStore
{
    ValueTask<Consent?> FindAsync(string subject, string clientId, CancellationToken cancellationToken);

    ValueTask StoreAsync(Consent consent, CancellationToken cancellationToken);

    ValueTask<bool> RemoveAsync(string subject, string clientId, CancellationToken cancellationToken);

    ValueTask<IReadOnlyList<Consent>> ListAsync(string subject, CancellationToken cancellationToken);
}

/// <summary>The grants each user holds, for the connected-apps page. Revocation itself is <see cref="IRefreshTokenStore.RevokeGrantAsync"/>.</summary>
internal interface IGrantStore
{
    ValueTask StoreAsync(GrantRecord grant, CancellationToken cancellationToken);

    /// <summary>Notes a use (a refresh); no-op for an unknown grant.</summary>
    ValueTask TouchAsync(string grantId, DateTimeOffset usedAt, DateTimeOffset expiresAt, CancellationToken cancellationToken);

    /// <summary>The user's grants that have not expired.</summary>
    ValueTask<IReadOnlyList<GrantRecord>> ListAsync(string subject, CancellationToken cancellationToken);

    ValueTask RemoveAsync(string grantId, CancellationToken cancellationToken);
}

/// <summary>
/// "Signed out everywhere" instants per user: a sign-in to the authorization server made before it is refused.
/// </summary>
internal interface IUserSignOuts
{
    /// <summary>Ends every sign-in of the user made up to <paramref name="at"/>; remembered until <paramref name="keepUntil"/> (when those sign-ins expire anyway).</summary>
    ValueTask SignOutEverywhereAsync(string subject, DateTimeOffset at, DateTimeOffset keepUntil, CancellationToken cancellationToken);

    /// <summary>The user's latest such instant, if any.</summary>
    ValueTask<DateTimeOffset?> FindAsync(string subject, CancellationToken cancellationToken);
}
