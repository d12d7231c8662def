using McpSseAuth.Grants;
using McpSseAuth.Keys;
using McpSseAuth.Storage;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace McpSseAuth.Tokens;

/// <summary>
/// Access tokens as JWTs in the RFC 9068 profile: header <c>typ: at+jwt</c> and a <c>kid</c>; claims <c>iss</c>,
/// <c>aud</c> (the resource requested, RFC 8707; a single string when there is one), <c>sub</c>, <c>client_id</c>, <c>scope</c>, <c>jti</c>,
/// <c>iat</c>, <c>nbf</c>, <c>exp</c>, the grant id <c>gid</c>, and for a DPoP-bound token <c>cnf.jkt</c> (RFC 9449 §6.1). The resource accepts exactly this shape (Validation/AccessTokenProfile).
/// </summary>
internal sealed class AccessTokenIssuer(SigningKeys keys, TimeProvider time, IOptions<McpOAuthOptions> options)
{
    public const string TokenType = "at+jwt";

    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };

    public IssuedAccessToken Issue(string issuer, IReadOnlyList<string> audiences, GrantSubject user, string clientId, IReadOnlyList<string> scopes, string grantId, string? jkt = null)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var lifetime = options.Value.Tokens.AccessTokenLifetime;
        var claims = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["sub"] = user.Subject,
            ["client_id"] = clientId,
            ["scope"] = string.Join(' ', scopes),
            ["jti"] = OpaqueHandle.Create(),
            [GrantClaims.GrantId] = grantId,
        };
        if (jkt is not null)
        {
            claims["cnf"] = new Dictionary<string, object>(StringComparer.Ordinal) { ["jkt"] = jkt };
        }

        if (user.Claims is not null)
        {
            // The token's own claims are never taken from the user's.
            foreach (var (type, values) in user.Claims.Where(c => !Users.SignedInUser.ReservedClaims.Contains(c.Key)))
            {
                claims[type] = values.Length == 1 ? values[0] : values;
            }
        }
        else if (user.Name is not null)
        {
            claims["name"] = user.Name;
        }

        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audiences.Count == 1 ? audiences[0] : null,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + lifetime,
            Claims = claims,
            SigningCredentials = keys.Current,
            TokenType = TokenType,
        };
        if (audiences.Count > 1)
        {
            foreach (var audience in audiences)
            {
                descriptor.Audiences.Add(audience);
            }
        }

        return new IssuedAccessToken(_handler.CreateToken(descriptor), (int)lifetime.TotalSeconds);
    }
}
