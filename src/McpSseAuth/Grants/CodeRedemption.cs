namespace McpSseAuth.Grants;

/// <summary>What spending an authorization code found: redeemed now (with the code), replayed, or not found.</summary>
internal sealed record CodeRedemption(RedeemStatus Status, AuthorizationCode? Code);
