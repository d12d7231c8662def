using System.Security.Claims;
using McpSseAuth.Keys;
using McpSseAuth.Tokens;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace McpSseAuth.Validation;

/// <summary>
/// What makes one of this server's access tokens genuine: signature with a signing key that still verifies (by kid),
/// <c>typ: at+jwt</c>, lifetime on <see cref="TimeProvider"/>, and our token profile (<see cref="AccessTokenProfile"/>).
/// Shared by the MCP endpoints' bearer check (through <see cref="ValidatedTokenCache"/>) and by the revocation and
/// introspection endpoints.
/// </summary>
internal sealed class AccessTokenReader
{
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    private readonly TimeProvider _time;
    private readonly IOptions<McpOAuthOptions> _options;

    public AccessTokenReader(SigningKeys keys, TimeProvider time, IOptions<McpOAuthOptions> options)
    {
        _time = time;
        _options = options;
        Parameters = new TokenValidationParameters
        {
            // By kid, from the keys that verify at this moment: rotation needs no restart, a dropped key verifies nothing,
            // and a key verifies only tokens of its own alg.
            IssuerSigningKeyResolver = (_, token, kid, _) => keys.FindValidationKey(kid, (token as JsonWebToken)?.Alg) is { } key ? [key] : [],
            TryAllIssuerSigningKeys = false,
            ValidAlgorithms = keys.Algorithms,
            ValidTypes = [AccessTokenIssuer.TokenType],
            ValidateIssuerSigningKey = true,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            ClockSkew = options.Value.Tokens.ClockSkew,
            // IdentityModel reads the wall clock; tokens are stamped with TimeProvider (AccessTokenIssuer), so check them on the same clock.
            LifetimeValidator = ValidateLifetime,
            // Both depend on the request (derived issuer, endpoint's resource): checked by the caller.
            ValidateIssuer = false,
            ValidateAudience = false,
            NameClaimType = "name",
            RoleClaimType = "role",
        };
    }

    /// <summary>The validation of the MCP endpoints' bearer check; the caller checks issuer and audience per request.</summary>
    public TokenValidationParameters Parameters { get; }

    /// <summary>
    /// The token's claims when it is genuine and issued by <paramref name="issuer"/>; null otherwise. With
    /// <paramref name="checkLifetime"/> false an expired token still reads (to revoke its grant).
    /// </summary>
    public async Task<ClaimsIdentity?> ReadAsync(string token, string issuer, bool checkLifetime)
    {
        if (token.Length > 16 * 1024)
        {
            return null;
        }

        var parameters = Parameters.Clone();
        parameters.ValidateIssuer = true;
        parameters.ValidIssuer = issuer;
        parameters.ValidateLifetime = checkLifetime;
        var result = await ValidateAsync(token, parameters);
        return result.IsValid ? result.ClaimsIdentity : null;
    }

    /// <summary>IdentityModel's validation with <paramref name="parameters"/>, then our token profile.</summary>
    public async Task<TokenValidationResult> ValidateAsync(string token, TokenValidationParameters parameters)
    {
        var result = await _handler.ValidateTokenAsync(token, parameters);
        if (result.IsValid && result.SecurityToken is JsonWebToken jwt
            && AccessTokenProfile.Violation(jwt, _time.GetUtcNow().UtcDateTime, _options.Value.Tokens.ClockSkew, _options.Value.Tokens.AccessTokenLifetime) is { } violation)
        {
            return AccessTokenProfile.Refusal(violation);
        }

        return result;
    }

    /// <summary>RFC 7519 §4.1.4/§4.1.5 against <see cref="TimeProvider"/>, with the configured clock skew.</summary>
    private bool ValidateLifetime(DateTime? notBefore, DateTime? expires, SecurityToken token, TokenValidationParameters parameters)
    {
        if (!parameters.ValidateLifetime)
        {
            return true;
        }

        var now = _time.GetUtcNow().UtcDateTime;
        if (expires is null)
        {
            throw new SecurityTokenNoExpirationException("The access token has no exp claim.");
        }

        if (notBefore is { } nbf && nbf > now + parameters.ClockSkew)
        {
            throw new SecurityTokenNotYetValidException("The access token is not valid yet.") { NotBefore = nbf };
        }

        if (expires.Value < now - parameters.ClockSkew)
        {
            throw new SecurityTokenExpiredException("The access token expired.") { Expires = expires.Value };
        }

        return true;
    }
}
