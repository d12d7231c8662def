using McpSseAuth.Keys;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace McpSseAuth.Validation;

/// <summary>
/// JwtBearer's token handler on the MCP endpoints: IdentityModel's <see cref="JsonWebTokenHandler"/>, with its answer for
/// a genuine token remembered, so that a client sending the same access token on every request pays the signature check
/// (tens of microseconds with ES256) once, not per request. A remembered token is still refused the moment it expires on
/// <see cref="TimeProvider"/> (with <see cref="McpOAuthTokenOptions.ClockSkew"/>) or its signing key stops verifying; issuer,
/// audience and revocation are checked per request after it, as before (<see cref="AccessTokenValidation"/>).
/// </summary>
/// <remarks>
/// Only tokens that validated are remembered (so nobody can fill the cache with forgeries), matched on the whole token
/// string, each with a copy of its claims per request. At most <see cref="Capacity"/> tokens; one unused for
/// <see cref="IdleFor"/> is forgotten. A remembered token is not validated again with the parameters of a later request:
/// the bearer scheme's parameters are McpSseAuth's own (<see cref="AccessTokenReader.Parameters"/>); an app that
/// post-configures them should not rely on its additions for every request.
/// </remarks>
internal sealed class ValidatedTokenCache(AccessTokenReader reader, SigningKeys keys, TimeProvider time, IOptions<McpOAuthOptions> options) : TokenHandler, IDisposable
{
    public const int Capacity = 20_000;

    public static readonly TimeSpan IdleFor = TimeSpan.FromMinutes(10);

    private readonly MemoryCache _validated = new(new MemoryCacheOptions { SizeLimit = Capacity, Clock = new Http.TimeProviderClock(time) });

    public override async Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
    {
        if (_validated.TryGetValue(token, out Validated? known) && known is not null)
        {
            if (IsStillValid(known.Token))
            {
                return new TokenValidationResult { IsValid = true, SecurityToken = known.Token, ClaimsIdentity = known.Identity.Clone(), TokenType = known.Token.Typ };
            }

            _validated.Remove(token);
        }

        var result = await reader.ValidateAsync(token, validationParameters);
        if (result.IsValid && result.SecurityToken is JsonWebToken jwt && validationParameters.ValidateLifetime)
        {
            var identity = result.ClaimsIdentity;
            _validated.Set(token, new Validated(jwt, identity.Clone()), new MemoryCacheEntryOptions
            {
                Size = 1,
                SlidingExpiration = IdleFor,
                AbsoluteExpiration = jwt.ValidTo + options.Value.Tokens.ClockSkew,
            });
        }

        return result;
    }

    public override SecurityToken ReadToken(string token) => new JsonWebToken(token);

    public void Dispose() => _validated.Dispose();

    private bool IsStillValid(JsonWebToken token)
        => token.ValidTo >= time.GetUtcNow().UtcDateTime - options.Value.Tokens.ClockSkew
           && keys.FindValidationKey(token.Kid, token.Alg) is not null;

    private sealed record Validated(JsonWebToken Token, System.Security.Claims.ClaimsIdentity Identity);
}
