using McpSseAuth.Grants;
using McpSseAuth.Tokens;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace McpSseAuth.Validation;

/// <summary>
/// The shape of the access tokens this server issues (<see cref="AccessTokenIssuer"/>), checked on every token the
/// signature admits: a token signed with our key but not of our making is refused, never waved through a check whose
/// claim it lacks (RFC 9068 §4, RFC 8725 §3.11). IdentityModel checks signature, <c>alg</c>, <c>typ</c> and lifetime;
/// this adds what it does not.
/// </summary>
internal static class AccessTokenProfile
{
    /// <summary>
    /// Claims each later check reads: <c>sub</c> and <c>client_id</c> bind sessions, <c>aud</c> the endpoint, <c>scope</c>
    /// the tools, <c>gid</c> revocation; <c>iat</c> the lifetime below.
    /// </summary>
    public static readonly string[] RequiredClaims = ["sub", "client_id", "scope", "aud", GrantClaims.GrantId, "iat", "exp"];

    // One string each; only scope may be empty (a grant of no scopes).
    private static readonly string[] TextClaims = ["sub", "client_id", "scope", GrantClaims.GrantId];

    /// <summary>
    /// Why <paramref name="token"/> is not one of ours, or null. <paramref name="now"/> and <paramref name="clockSkew"/> place
    /// <c>iat</c>; <paramref name="lifetime"/> bounds <c>exp − iat</c>.
    /// </summary>
    public static string? Violation(JsonWebToken token, DateTime now, TimeSpan clockSkew, TimeSpan lifetime)
    {
        // RFC 7515 §4.1.11: an extension the recipient does not understand must make it refuse; we understand none.
        if (token.TryGetHeaderValue<object>("crit", out _))
        {
            return "crit header";
        }

        foreach (var claim in RequiredClaims)
        {
            if (!token.TryGetPayloadValue<object>(claim, out var value) || value is null)
            {
                return "no " + claim + " claim";
            }
        }

        // RFC 9449 §6.1: a bound token names its key's thumbprint and nothing else (no other confirmation method is ours).
        if (token.TryGetPayloadValue<object>("cnf", out _) && BoundKey(token) is null)
        {
            return "cnf is not {\"jkt\": thumbprint}";
        }

        foreach (var claim in TextClaims)
        {
            if (!token.TryGetPayloadValue<object>(claim, out var value) || value is not string text || (text.Length == 0 && claim != "scope"))
            {
                return claim + " is not a string";
            }
        }

        var issuedAt = token.IssuedAt;
        if (issuedAt > now + clockSkew)
        {
            return "issued in the future";
        }

        // Whole seconds on both sides; one more for a lifetime that is not a whole number of seconds.
        if (token.ValidTo - issuedAt > lifetime + TimeSpan.FromSeconds(1))
        {
            return "lifetime beyond the configured one";
        }

        return null;
    }

    /// <summary>
    /// The SHA-256 JWK thumbprint (RFC 7638, base64url: 43 characters) a DPoP-bound token names in <c>cnf.jkt</c>; null
    /// when the token has no <c>cnf</c> or one of another shape.
    /// </summary>
    public static string? BoundKey(JsonWebToken token)
    {
        if (!token.TryGetPayloadValue<object>("cnf", out _))
        {
            return null;
        }

        using var payload = System.Text.Json.JsonDocument.Parse(Base64UrlEncoder.Decode(token.EncodedPayload));
        if (!payload.RootElement.TryGetProperty("cnf", out var cnf) || cnf.ValueKind != System.Text.Json.JsonValueKind.Object)
        {
            return null;
        }

        string? jkt = null;
        foreach (var member in cnf.EnumerateObject())
        {
            if (member.Name != "jkt" || member.Value.ValueKind != System.Text.Json.JsonValueKind.String)
            {
                return null;
            }

            jkt = member.Value.GetString();
        }

        return jkt is { Length: 43 } ? jkt : null;
    }

    /// <summary>The failed result for a token the profile refuses, as IdentityModel reports one.</summary>
    public static TokenValidationResult Refusal(string violation)
        => new() { IsValid = false, Exception = new SecurityTokenValidationException("The access token is not one this server issues (" + violation + ").") };
}
