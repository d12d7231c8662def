using Microsoft.IdentityModel.Tokens;

namespace McpSseAuth.Hosting;

/// <summary>The <c>Tokens</c> and <c>Signing</c> groups: what every token this server issues depends on.</summary>
internal static class TokenOptionsChecks
{
    public static void Check(McpOAuthTokenOptions tokens, List<string> failures)
    {
        OptionChecks.Positive(failures, "Tokens.AccessTokenLifetime", tokens.AccessTokenLifetime);
        OptionChecks.Positive(failures, "Tokens.RefreshTokenLifetime", tokens.RefreshTokenLifetime);
        OptionChecks.Positive(failures, "Tokens.RefreshTokenAbsoluteLifetime", tokens.RefreshTokenAbsoluteLifetime);
        if (tokens.RefreshTokenReuseWindow < TimeSpan.Zero || tokens.RefreshTokenReuseWindow > TimeSpan.FromMinutes(5))
        {
            failures.Add($"McpOAuthOptions.Tokens.RefreshTokenReuseWindow is {tokens.RefreshTokenReuseWindow}: use zero (off) up to 5 minutes; a stolen refresh token can be replayed inside it.");
        }

        OptionChecks.Positive(failures, "Tokens.AuthorizationCodeLifetime", tokens.AuthorizationCodeLifetime);
        if (tokens.AuthorizationCodeLifetime > TimeSpan.FromMinutes(10))
        {
            failures.Add("McpOAuthOptions.Tokens.AuthorizationCodeLifetime must be at most 10 minutes (RFC 6749 §4.1.2); 1 minute is the default.");
        }

        if (tokens.MaxPendingAuthorizations <= 0)
        {
            failures.Add("McpOAuthOptions.Tokens.MaxPendingAuthorizations must be positive (default 100,000).");
        }

        if (tokens.ClockSkew < TimeSpan.Zero || tokens.ClockSkew > TimeSpan.FromMinutes(5))
        {
            failures.Add("McpOAuthOptions.Tokens.ClockSkew must be between 0 and 5 minutes.");
        }

        foreach (var claim in tokens.AccessTokenClaims.Where(Users.SignedInUser.ReservedClaims.Contains))
        {
            failures.Add($"McpOAuthOptions.Tokens.AccessTokenClaims cannot list '{claim}': access tokens set it themselves.");
        }
    }

    public static void Check(McpOAuthSigningOptions signing, List<string> failures)
    {
        if (signing.Algorithm is not ("ES256" or "RS256"))
        {
            failures.Add($"McpOAuthOptions.Signing.Algorithm is '{signing.Algorithm}': use ES256 or RS256.");
        }

        if (signing.RotationPeriod < TimeSpan.FromHours(1))
        {
            failures.Add($"McpOAuthOptions.Signing.RotationPeriod is {signing.RotationPeriod}: use at least 1 hour (default 30 days).");
        }

        if (signing.Credentials is { Key: SymmetricSecurityKey })
        {
            failures.Add("McpOAuthOptions.Signing.Credentials must use an asymmetric key (ECDSA or RSA) so resource servers can verify with the public key; leave it null to have one created.");
        }
    }

    public static void Check(McpOAuthDpopOptions dpop, IEnumerable<McpOAuthClient> clients, List<string> failures)
    {
        if (dpop.ProofLifetime <= TimeSpan.Zero || dpop.ProofLifetime > TimeSpan.FromMinutes(10))
        {
            failures.Add($"McpOAuthOptions.Dpop.ProofLifetime is {dpop.ProofLifetime}: use more than zero and at most 10 minutes (default 1 minute); a proof can be replayed to another server that long.");
        }

        if (dpop.NonceLifetime < TimeSpan.FromSeconds(10) || dpop.NonceLifetime > TimeSpan.FromHours(1))
        {
            failures.Add($"McpOAuthOptions.Dpop.NonceLifetime is {dpop.NonceLifetime}: use 10 seconds to 1 hour (default 5 minutes).");
        }

        if (!dpop.Enabled && (dpop.Required || dpop.RequireNonce))
        {
            failures.Add("McpOAuthOptions.Dpop.Enabled is false while Dpop.Required or Dpop.RequireNonce is set: enable DPoP, or clear those.");
        }

        foreach (var client in clients.Where(c => c.RequireDpop && !dpop.Enabled))
        {
            failures.Add($"McpOAuthOptions.Clients entry '{client.ClientId}' sets RequireDpop while Dpop.Enabled is false: enable DPoP, or clear RequireDpop.");
        }
    }
}
