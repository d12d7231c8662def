namespace McpSseAuth.Grants;

/// <summary>What <see cref="IRefreshTokenStore.RotateAsync"/> did.</summary>
/// <param name="Status">Redeemed (the answer to send), Replayed (spent before: the token and when), NotFound.</param>
/// <param name="SealedResponse">The one answer of this rotation, when redeemed.</param>
/// <param name="Spent">What remains of a token spent before, when replayed.</param>
/// <param name="SpentAt">When it was spent, when replayed.</param>
internal readonly record struct RotateOutcome(RedeemStatus Status, string? SealedResponse = null, RefreshToken? Spent = null, DateTimeOffset? SpentAt = null);
