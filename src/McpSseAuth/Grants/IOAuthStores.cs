namespace McpSseAuth.Grants;

/// <summary>Authorization codes, redeemable exactly once even under concurrent redemption.</summary>
internal interface IAuthorizationCodeStore
{
    /// <summary>Stores a code; false when the store is full.</summary>
    ValueTask<bool> StoreAsync(string handle, AuthorizationCode code, CancellationToken cancellationToken);

    /// <summary>Reads a live code without spending it, so what its redemption issues can be stored before it is spent.</summary>
    ValueTask<AuthorizationCode?> FindAsync(string handle, CancellationToken cancellationToken);

    ValueTask<(RedeemStatus Status, AuthorizationCode? Code)> TryRedeemAsync(string handle, CancellationToken cancellationToken);
}

/// <summary>Refresh tokens, each redeemable exactly once; grants that can be revoked as a whole.</summary>
internal interface IRefreshTokenStore
{
    /// <summary>
    /// Stores a refresh token. Must not refuse for lack of room: it replaces one just spent, and a refused rotation
    /// would leave the client holding a spent token whose retry revokes the grant.
    /// </summary>
    ValueTask StoreAsync(string handle, RefreshToken token, CancellationToken cancellationToken);

    /// <summary>Reads a live token without spending it, so a request that fails its checks does not burn the token.</summary>
    ValueTask<RefreshToken?> FindAsync(string handle, CancellationToken cancellationToken);

    /// <summary>
    /// What the handle is now: live (with the token), spent (with what remains of it and when it was spent), or
    /// unknown (never issued, expired, or of a revoked grant).
    /// </summary>
    ValueTask<(RefreshState State, RefreshToken? Token, DateTimeOffset? SpentAt)> InspectAsync(string handle, CancellationToken cancellationToken);

    /// <summary>
    /// Spends the token. A second redemption answers <see cref="RedeemStatus.Replayed"/> with the token and when it was first
    /// redeemed: the caller decides between the reuse window and revoking the grant. A revoked grant's token is not found.
    /// </summary>
    ValueTask<(RedeemStatus Status, RefreshToken? Token, DateTimeOffset? RedeemedAt)> TryRedeemAsync(string handle, CancellationToken cancellationToken);

    /// <summary>
    /// Rotation, in an order that no storage failure can break: the successor is stored, then claimed as the one answer of
    /// this token's rotation (<paramref name="sealedResponse"/>, sealed with the spent handle, which the store never holds),
    /// and only then is the token spent. Interrupted anywhere, the client holds a usable token: the old one unspent, or the
    /// old one spent with its answer kept for a retry inside the reuse window. Concurrent rotations of one token all get
    /// the answer of the first claim.
    /// </summary>
    ValueTask<RotateOutcome> RotateAsync(string handle, RefreshToken current, string successorHandle, RefreshToken successor, string sealedResponse, CancellationToken cancellationToken);

    /// <summary>The sealed answer of the token's rotation, while a retry inside the reuse window may ask for it.</summary>
    ValueTask<string?> FindSuccessorAsync(string handle, CancellationToken cancellationToken);

    /// <summary>True once the token has been presented (and so spent): the client holding it has moved on.</summary>
    ValueTask<bool> IsSpentAsync(string handle, CancellationToken cancellationToken);

    ValueTask RevokeGrantAsync(string grantId, CancellationToken cancellationToken);
}

internal enum RefreshState
{
    Unknown,
    Live,
    Spent,
}

/// <summary>What <see cref="IRefreshTokenStore.RotateAsync"/> did.</summary>
/// <param name="Status">Redeemed (the answer to send), Replayed (spent before: the token and when), NotFound.</param>
/// <param name="SealedResponse">The one answer of this rotation, when redeemed.</param>
/// <param name="Spent">What remains of a token spent before, when replayed.</param>
/// <param name="SpentAt">When it was spent, when replayed.</param>
internal readonly record struct RotateOutcome(RedeemStatus Status, string? SealedResponse = null, RefreshToken? Spent = null, DateTimeOffset? SpentAt = null);

/// <summary>Revoked grants: their refresh tokens are refused and their access tokens stop working at once.</summary>
internal interface IGrantRevocations
{
    ValueTask<bool> IsRevokedAsync(string grantId, CancellationToken cancellationToken);
}

/// <summary>Authorization requests waiting for the user's consent.</summary>
internal interface IPendingAuthorizationStore
{
    /// <summary>Stores a request; false when the store is full.</summary>
    ValueTask<bool> StoreAsync(string handle, PendingAuthorization request, CancellationToken cancellationToken);

    /// <summary>Reads without consuming, to render the page again.</summary>
    ValueTask<PendingAuthorization?> FindAsync(string handle, CancellationToken cancellationToken);

    /// <summary>Consumes the request so one decision is taken once.</summary>
    ValueTask<PendingAuthorization?> TryTakeAsync(string handle, CancellationToken cancellationToken);
}
