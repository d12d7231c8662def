using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using McpSseAuth.Resources;
using McpSseAuth.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace McpSseAuth.Dpop;

/// <summary>
/// Checks the <c>DPoP</c> header of a request as RFC 9449 §4.3 lists it, for the token endpoint (§5) and the MCP
/// endpoints (§7): one well-formed JWT, <c>typ: dpop+jwt</c>, an asymmetric <c>alg</c> we support, a public <c>jwk</c>
/// (no private part) that verifies the signature, <c>htm</c> and <c>htu</c> of this request (query and fragment ignored),
/// <c>iat</c> within <see cref="McpOAuthDpopOptions.ProofLifetime"/>, <c>ath</c> of the access token at a resource, our
/// nonce when <see cref="McpOAuthDpopOptions.RequireNonce"/> is on, and a <c>jti</c> never seen before — remembered in the
/// storage, so a proof replayed to another instance is refused there too. A storage that cannot remember it fails the
/// request closed (503), as for client assertions.
/// </summary>
internal sealed class DpopProofs([Microsoft.Extensions.DependencyInjection.FromKeyedServices(Telemetry.MeasuredStorage.Key)] IMcpOAuthStorage storage, DpopNonces nonces, TimeProvider time, IOptions<McpOAuthOptions> options) : IDisposable
{
    public const string Header = "DPoP";
    public const string NonceHeader = "DPoP-Nonce";
    public const string TokenType = "dpop+jwt";

    /// <summary>RFC 9449 §4.2: asymmetric algorithms only; the ones .NET verifies (no EdDSA).</summary>
    public static readonly string[] Algorithms = ["ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "RS256", "RS384", "RS512"];

    // A proof is small: a public key, four claims and a signature. Anything much larger is not one.
    private const int MaxProofLength = 8 * 1024;
    private static readonly byte[] Seen = [1];
    private static readonly string[] PrivateMembers = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    // Keys by alg and their JSON as the proofs carry them: a client signs every proof with the same key, parsed and imported
    // once; the fit of key and alg is decided with it.
    private readonly MemoryCache _keys = new(new MemoryCacheOptions { SizeLimit = 10_000, Clock = new Http.TimeProviderClock(time) });

    private sealed record VerifiedKey(JsonWebKey Key, string Jkt);

    /// <summary>
    /// The request's proof for <paramref name="htu"/>: <see cref="DpopCheck.Absent"/> without a <c>DPoP</c> header. At a
    /// resource, <paramref name="ath"/> is the hash of the access token (<see cref="AccessTokenHash"/>) the proof must name.
    /// </summary>
    public async ValueTask<DpopCheck> CheckAsync(HttpContext context, string htu, string? ath)
    {
        var headers = context.Request.Headers[Header];
        if (headers.Count == 0)
        {
            return DpopCheck.Absent;
        }

        if (headers.Count > 1 || headers[0] is not { Length: > 0 and <= MaxProofLength } proof || proof.Contains(','))
        {
            return DpopCheck.Invalid("Send exactly one DPoP proof.");
        }

        if (Read(proof) is not { } read)
        {
            return DpopCheck.Invalid("The DPoP proof is not a JWT with typ dpop+jwt, a supported asymmetric alg and a public jwk.");
        }

        var (jwt, keyJson, alg) = read;
        if (Key(keyJson, alg, out var known) is not { } key)
        {
            return DpopCheck.Invalid("The DPoP proof's jwk is not a public key for its alg (EC P-256/384/521, or RSA of 2048 bits or more).");
        }

        var result = await _handler.ValidateTokenAsync(jwt, new TokenValidationParameters
        {
            IssuerSigningKey = key.Key,
            TryAllIssuerSigningKeys = true,
            ValidAlgorithms = [alg],
            ValidTypes = [TokenType],
            ValidateIssuer = false,
            ValidateAudience = false,
            ValidateLifetime = false,
            RequireExpirationTime = false,
            ValidateIssuerSigningKey = false,
            RequireSignedTokens = true,
        });
        if (!result.IsValid)
        {
            return DpopCheck.Invalid("The DPoP proof's signature does not verify with its jwk.");
        }

        if (Claims(jwt, context.Request.Method, htu, ath) is { } problem)
        {
            return DpopCheck.Invalid(problem);
        }

        var o = options.Value;
        if (o.Dpop.RequireNonce)
        {
            var given = jwt.TryGetPayloadValue<string>("nonce", out var n) ? n : null;
            if (!nonces.IsValid(given, out var renew))
            {
                return new DpopCheck(null, DpopCheck.UseNonce, given is null ? "A DPoP nonce is required: retry with the one in the DPoP-Nonce header." : "The DPoP nonce is not valid any more: retry with the one in the DPoP-Nonce header.", nonces.Current());
            }

            if (renew)
            {
                context.Response.Headers[NonceHeader] = nonces.Current();
            }
        }

        // Used once, by every instance: remembered for as long as its iat is accepted.
        var jti = jwt.Id;
        var remembered = jwt.IssuedAt + o.Dpop.ProofLifetime + o.Tokens.ClockSkew + o.Tokens.ClockSkew;
        if (!await storage.TryAddAsync(StoredJson.Key("dpop", key.Jkt, jti), Seen, new DateTimeOffset(remembered, TimeSpan.Zero), null, context.RequestAborted))
        {
            return DpopCheck.Invalid("This DPoP proof was used before: make a new one for each request.");
        }

        if (!known)
        {
            // Kept only once a whole proof of it passed: keys of refused proofs take no room.
            _keys.Set(alg + " " + keyJson, key, new MemoryCacheEntryOptions { Size = 1, SlidingExpiration = TimeSpan.FromMinutes(10) });
        }

        return new DpopCheck(new DpopProof(key.Jkt, jti), null, null);
    }

    /// <summary>RFC 9449 §6.1: <c>ath</c>, the base64url SHA-256 of the access token's ASCII.</summary>
    public static string AccessTokenHash(ReadOnlySpan<char> accessToken)
    {
        var bytes = new byte[accessToken.Length];
        Encoding.ASCII.GetBytes(accessToken, bytes);
        return Base64UrlEncoder.Encode(SHA256.HashData(bytes));
    }

    public void Dispose() => _keys.Dispose();

    /// <summary>The proof's header checks: the parsed JWT, its jwk's JSON and its alg, or null.</summary>
    private static (JsonWebToken Jwt, string KeyJson, string Alg)? Read(string proof)
    {
        JsonWebToken jwt;
        string? keyJson;
        try
        {
            jwt = new JsonWebToken(proof);
            using var header = JsonDocument.Parse(Base64UrlEncoder.Decode(jwt.EncodedHeader));
            keyJson = header.RootElement.TryGetProperty("jwk", out var jwk) && jwk.ValueKind == JsonValueKind.Object ? jwk.GetRawText() : null;
        }
        catch (Exception e) when (e is ArgumentException or JsonException or FormatException or SecurityTokenMalformedException)
        {
            return null;
        }

        if (keyJson is null || !string.Equals(jwt.Typ, TokenType, StringComparison.OrdinalIgnoreCase)
            || Array.IndexOf(Algorithms, jwt.Alg) < 0 || jwt.TryGetHeaderValue<object>("crit", out _))
        {
            return null;
        }

        return (jwt, keyJson, jwt.Alg);
    }

    /// <summary>The jwk as a verifying key with its RFC 7638 thumbprint, when it is a public key that fits <paramref name="alg"/>.</summary>
    private VerifiedKey? Key(string keyJson, string alg, out bool known)
    {
        known = _keys.TryGetValue(alg + " " + keyJson, out VerifiedKey? cached) && cached is not null;
        if (known)
        {
            return cached;
        }

        JsonWebKey key;
        try
        {
            using var document = JsonDocument.Parse(keyJson);
            if (PrivateMembers.Any(m => document.RootElement.TryGetProperty(m, out _)))
            {
                return null;
            }

            key = new JsonWebKey(keyJson);
        }
        catch (Exception e) when (e is ArgumentException or JsonException)
        {
            return null;
        }

        var fits = alg[..2] switch
        {
            "ES" => key.Kty == JsonWebAlgorithmsKeyTypes.EllipticCurve && key.X is not null && key.Y is not null && key.Crv == alg switch
            {
                "ES256" => JsonWebKeyECTypes.P256,
                "ES384" => JsonWebKeyECTypes.P384,
                _ => JsonWebKeyECTypes.P521,
            },
            _ => key.Kty == JsonWebAlgorithmsKeyTypes.RSA && key.E is not null && key.N is not null && Base64UrlEncoder.DecodeBytes(key.N).Length * 8 >= 2048,
        };
        return fits ? new VerifiedKey(key, Base64UrlEncoder.Encode(key.ComputeJwkThumbprint())) : null;
    }

    /// <summary>The claims of RFC 9449 §4.2 against this request; why not, or null.</summary>
    private string? Claims(JsonWebToken jwt, string method, string htu, string? expectedAth)
    {
        if (string.IsNullOrEmpty(jwt.Id) || jwt.Id.Length > 256)
        {
            return "The DPoP proof needs a jti of at most 256 characters.";
        }

        if (!jwt.TryGetPayloadValue<string>("htm", out var htm) || !string.Equals(htm, method, StringComparison.Ordinal))
        {
            return "The DPoP proof's htm is not this request's method.";
        }

        if (!jwt.TryGetPayloadValue<string>("htu", out var target) || !SameUri(target, htu))
        {
            return "The DPoP proof's htu is not this request's URI.";
        }

        DateTime issuedAt;
        try
        {
            issuedAt = jwt.IssuedAt;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException)
        {
            issuedAt = DateTime.MinValue;
        }

        var now = time.GetUtcNow().UtcDateTime;
        var skew = options.Value.Tokens.ClockSkew;
        if (issuedAt == DateTime.MinValue || issuedAt > now + skew || issuedAt < now - options.Value.Dpop.ProofLifetime - skew)
        {
            return "The DPoP proof's iat is missing or outside the accepted window: make a new proof for each request.";
        }

        if (expectedAth is not null && (!jwt.TryGetPayloadValue<string>("ath", out var ath) || !string.Equals(ath, expectedAth, StringComparison.Ordinal)))
        {
            return "The DPoP proof's ath is not the hash of this access token.";
        }

        return null;
    }

    /// <summary>RFC 9449 §4.3 item 9: the same URI once normalized (RFC 3986 §6.2.2, §6.2.3), query and fragment ignored.</summary>
    private static bool SameUri(string given, string expected)
        => Uri.TryCreate(given, UriKind.Absolute, out var a) && Uri.TryCreate(expected, UriKind.Absolute, out var b)
            && a.Scheme is "https" or "http"
            && string.Equals(ServerUris.Canonical(a), ServerUris.Canonical(b), StringComparison.Ordinal);
}
