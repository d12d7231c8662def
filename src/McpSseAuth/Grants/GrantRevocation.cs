namespace McpSseAuth.Grants;

/// <summary>
/// The one way a grant ends, whoever ends it (a replayed code or refresh token, the revocation endpoint, the connected-apps
/// page, an operator, a user losing access): revoke, then drop. Revoking stores the revocation, which refuses the grant's
/// refresh tokens and its access tokens at their next use, then signals every instance so its sessions end
/// (<see cref="GrantRevocationSignal"/>); dropping removes it from the user's list of grants.
/// </summary>
internal sealed class GrantRevocation(IRefreshTokenStore refreshTokens, IGrantStore grants)
{
    public async ValueTask RevokeAsync(string grantId, CancellationToken cancellationToken)
    {
        await refreshTokens.RevokeGrantAsync(grantId, cancellationToken);
        await grants.RemoveAsync(grantId, cancellationToken);
    }
}
