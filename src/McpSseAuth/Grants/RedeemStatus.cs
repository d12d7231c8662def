namespace McpSseAuth.Grants;

internal enum RedeemStatus
{
    Redeemed,
    NotFound,
    Expired,
    Replayed,
}
