namespace McpSseAuth.Grants;

/// <summary>
/// What spending a refresh token found: redeemed now, or replayed (with what remains of the token and when it was first
/// redeemed), or not found.
/// </summary>
internal sealed record RefreshRedemption(RedeemStatus Status, RefreshToken? Token, DateTimeOffset? RedeemedAt)
{
    public static RefreshRedemption NotFound { get; } = new(RedeemStatus.NotFound, null, null);
}
