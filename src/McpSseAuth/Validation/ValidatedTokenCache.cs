using System.Diagnostics.CodeAnalysis;
using System.Security.Claims;
using McpSseAuth.Grants;
using McpSseAuth.Keys;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace McpSseAuth.Validation;

/// <summary>
/// This server's access tokens as the MCP endpoints see them: IdentityModel's validation (<see cref="AccessTokenReader"/>)
/// once per token, its answer remembered, so that a client sending the same access token on every request pays the
/// signature check (tens of microseconds with ES256) and the reading of its claims once, not per request. A remembered
/// token is still refused the moment it expires on <see cref="TimeProvider"/> (with
/// <see cref="McpOAuthTokenOptions.ClockSkew"/>) or its signing key stops verifying; issuer, audience, revocation and the
/// user's access are checked per request after it (<see cref="McpBearerHandler"/>).
/// </summary>
/// <remarks>
/// Only tokens that validated are remembered (so nobody can fill the cache with forgeries), matched on the whole token
/// string. At most <see cref="Capacity"/> tokens; one unused for <see cref="IdleFor"/> is forgotten.
/// </remarks>
internal sealed class ValidatedTokenCache(AccessTokenReader reader, SigningKeys keys, TimeProvider time, IOptions<McpOAuthOptions> options) : IDisposable
{
    public const int Capacity = 20_000;

    public static readonly TimeSpan IdleFor = TimeSpan.FromMinutes(10);

    private readonly MemoryCache _validated = new(new MemoryCacheOptions { SizeLimit = Capacity, Clock = new Http.TimeProviderClock(time) });

    /// <summary>The token's validated claims, or the reason it is refused (an IdentityModel exception: the challenge describes it).</summary>
    /// <summary>
    /// A token validated before and still valid, looked up by the characters of the request's header: a request with a
    /// known token copies nothing (each copy would be the token's whole length, more than the rest of the check allocates).
    /// </summary>
    public bool TryGetKnown(ReadOnlySpan<char> token, [NotNullWhen(true)] out ValidatedToken? known)
    {
        if (_validated.TryGetValue(token, out known) && known is not null && IsStillValid(known.Jwt))
        {
            return true;
        }

        known = null;
        return false;
    }

    public async ValueTask<(ValidatedToken? Token, Exception? Failure)> ValidateAsync(string token)
    {
        if (_validated.TryGetValue(token, out ValidatedToken? known) && known is not null)
        {
            if (IsStillValid(known.Jwt))
            {
                return (known, null);
            }

            _validated.Remove(token);
        }

        var result = await reader.ValidateAsync(token, reader.Parameters);
        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt)
        {
            return (null, result.Exception ?? new SecurityTokenValidationException());
        }

        var validated = ValidatedToken.From(jwt, result.ClaimsIdentity);
        _validated.Set(token, validated, new MemoryCacheEntryOptions
        {
            Size = 1,
            SlidingExpiration = IdleFor,
            AbsoluteExpiration = jwt.ValidTo + options.Value.Tokens.ClockSkew,
        });
        return (validated, null);
    }

    public void Dispose() => _validated.Dispose();

    private bool IsStillValid(JsonWebToken token)
    {
        if (token.ValidTo < time.GetUtcNow().UtcDateTime - options.Value.Tokens.ClockSkew)
        {
            return false;
        }

        return keys.FindValidationKey(token.Kid, token.Alg) is not null;
    }
}

/// <summary>A genuine access token, read once: the claims its requests share (<see cref="RequestIdentity"/>), and what each request checks.</summary>
/// <remarks><see cref="Jkt"/>: the thumbprint of the DPoP key a bound token needs a proof of (RFC 9449), or null.</remarks>
internal sealed record ValidatedToken(JsonWebToken Jwt, SharedTokenIdentity Identity, string? Issuer, string[] Audiences, string GrantId, string Subject, string? Jkt)
{
    public static ValidatedToken From(JsonWebToken jwt, ClaimsIdentity identity) => new(
        jwt,
        new SharedTokenIdentity(identity),
        identity.FindFirst("iss")?.Value,
        [.. identity.FindAll("aud").Select(a => a.Value)],
        // Every token that validated names its grant and subject (AccessTokenProfile).
        identity.FindFirst(GrantClaims.GrantId)!.Value,
        identity.FindFirst("sub")!.Value,
        AccessTokenProfile.BoundKey(jwt));
}
