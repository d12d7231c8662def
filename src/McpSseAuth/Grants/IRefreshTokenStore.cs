namespace McpSseAuth.Grants;

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
    ValueTask<RefreshInspection> InspectAsync(string handle, CancellationToken cancellationToken);

    /// <summary>
    /// Spends the token. A second redemption answers <see cref="RedeemStatus.Replayed"/> with the token and when it was first
    /// redeemed: the caller decides between the reuse window and revoking the grant. A revoked grant's token is not found.
    /// </summary>
    ValueTask<RefreshRedemption> TryRedeemAsync(string handle, CancellationToken cancellationToken);

    /// <summary>
    /// Rotation, in an order that no storage failure can break: the successor is stored and claimed as the one answer of
    /// this token's rotation (<paramref name="sealedResponse"/>, sealed with the spent handle, which the store never holds),
    /// both at once, and only then is the token spent; a retry that finds an answer claimed makes sure its successor exists. Interrupted anywhere, the client holds a usable token: the old one unspent, or the
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
