namespace McpSseAuth.Grants;

/// <summary>The grants each user holds, for the connected-apps page. Revocation itself is <see cref="IRefreshTokenStore.RevokeGrantAsync"/>.</summary>
internal interface IGrantStore
{
    ValueTask StoreAsync(GrantRecord grant, CancellationToken cancellationToken);

    /// <summary>Notes a use (a refresh); no-op for an unknown grant.</summary>
    ValueTask TouchAsync(string grantId, DateTimeOffset usedAt, DateTimeOffset expiresAt, CancellationToken cancellationToken);

    /// <summary>Records that the grant's access token was used at <paramref name="usedAt"/> (later than its last use), its expiry unchanged.</summary>
    ValueTask NoteUseAsync(string grantId, DateTimeOffset usedAt, CancellationToken cancellationToken);

    /// <summary>The user's grants that have not expired.</summary>
    ValueTask<IReadOnlyList<GrantRecord>> ListAsync(string subject, CancellationToken cancellationToken);

    ValueTask RemoveAsync(string grantId, CancellationToken cancellationToken);
}
