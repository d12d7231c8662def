using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace McpSseAuth.Tests.Infrastructure;

/// <summary>
/// The test's enterprise identity provider, with its own ES256 key: it signs ID tokens (single sign-on to the MCP client)
/// and identity assertion grants (ID-JAG, MCP enterprise-managed authorization). <see cref="StartAsync"/> serves it on
/// Kestrel at 127.0.0.1: its discovery document, JWKS, and an RFC 8693 token endpoint that exchanges its ID tokens for
/// ID-JAGs, as the C# SDK's <c>IdentityAssertionGrantProvider</c> expects.
/// </summary>
public sealed class EnterpriseIdp : IAsyncDisposable
{
    public const string TokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange";
    public const string IdJagType = "urn:ietf:params:oauth:token-type:id-jag";
    public const string IdTokenType = "urn:ietf:params:oauth:token-type:id_token";

    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };
    private WebApplication? _app;

    public EnterpriseIdp(string issuer = "https://idp.example.com") => Issuer = issuer;

    public string Issuer { get; private set; }

    /// <summary>The MCP client's id at the provider (the audience of its ID tokens) and its secret there.</summary>
    public string IdpClientId { get; } = "mcp-client-at-idp";

    public string IdpClientSecret { get; } = "idp-secret-0123456789abcdef0123456789";

    private SigningCredentials Credentials => new(new ECDsaSecurityKey(_key) { KeyId = "idp-key-1" }, SecurityAlgorithms.EcdsaSha256);

    /// <summary>The public key set (<c>{"keys":[...]}</c>), for <see cref="McpEnterpriseIdentityProvider.JwksJson"/>.</summary>
    public string JwksJson()
    {
        var jwk = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(new ECDsaSecurityKey(ECDsa.Create(_key.ExportParameters(false))) { KeyId = "idp-key-1" });
        return JsonSerializer.Serialize(new { keys = new[] { new { kty = jwk.Kty, crv = jwk.Crv, x = jwk.X, y = jwk.Y, kid = jwk.Kid, use = "sig", alg = "ES256" } } });
    }

    /// <summary>An ID token for <paramref name="user"/>, as single sign-on to the MCP client gives it.</summary>
    public string IdToken(string user, string? email = null) => Sign("JWT", new Dictionary<string, object>
    {
        ["iss"] = Issuer,
        ["sub"] = user,
        ["aud"] = IdpClientId,
        ["email"] = email ?? user + "@example.com",
        ["email_verified"] = true,
    }, TimeSpan.FromMinutes(5));

    /// <summary>
    /// An ID-JAG (ext-auth "Enterprise-Managed Authorization" §4.3) for <paramref name="user"/>: claims of the spec,
    /// changed by <paramref name="change"/> before it is signed (with <paramref name="type"/> as its typ).
    /// </summary>
    public string Grant(string user, string audience, string resource, string clientId, string? scope = null, Action<Dictionary<string, object>>? change = null, string type = "oauth-id-jag+jwt", TimeSpan? lifetime = null, string? email = null)
    {
        var claims = new Dictionary<string, object>
        {
            ["iss"] = Issuer,
            ["sub"] = user,
            ["aud"] = audience,
            ["resource"] = resource,
            ["client_id"] = clientId,
            ["jti"] = Guid.NewGuid().ToString("N"),
            ["email"] = email ?? user + "@example.com",
            ["email_verified"] = true,
        };
        if (scope is not null)
        {
            claims["scope"] = scope;
        }

        change?.Invoke(claims);
        return Sign(type, claims, lifetime ?? TimeSpan.FromMinutes(5));
    }

    private string Sign(string type, Dictionary<string, object> claims, TimeSpan lifetime)
    {
        var now = DateTime.UtcNow;
        claims.TryAdd("iat", EpochTime.GetIntDate(now));
        claims.TryAdd("exp", EpochTime.GetIntDate(now + lifetime));
        return _handler.CreateToken(JsonSerializer.Serialize(claims), Credentials, new Dictionary<string, object> { ["typ"] = type });
    }

    /// <summary>Serves the provider on Kestrel; <see cref="Issuer"/> becomes its address.</summary>
    public async Task StartAsync()
    {
        (_app, var address) = await LoopbackApp.StartAsync(_ => { }, app =>
        {
            app.MapGet("/.well-known/openid-configuration", () => Results.Json(new Dictionary<string, object>
            {
                ["issuer"] = Issuer,
                ["jwks_uri"] = Issuer + "/jwks",
                ["token_endpoint"] = Issuer + "/token",
                ["grant_types_supported"] = new[] { TokenExchange },
            }));
            app.MapGet("/jwks", () => Results.Text(JwksJson(), "application/json"));
            app.MapPost("/token", ExchangeAsync);
        });
        Issuer = address.ToString().TrimEnd('/');
    }

    /// <summary>RFC 8693 at the provider: its own ID token in, an ID-JAG for the audience and resource asked out (ext-auth §4).</summary>
    private async Task<IResult> ExchangeAsync(HttpRequest request)
    {
        var form = await request.ReadFormAsync();
        if (form["grant_type"] != TokenExchange || form["requested_token_type"] != IdJagType || form["subject_token_type"] != IdTokenType
            || form["client_id"] != IdpClientId || form["client_secret"] != IdpClientSecret)
        {
            return Results.Json(new { error = "invalid_request", error_description = "not a token exchange of this provider's client" }, statusCode: 400);
        }

        var idToken = await _handler.ValidateTokenAsync(form["subject_token"].ToString(), new TokenValidationParameters
        {
            ValidIssuer = Issuer,
            ValidAudience = IdpClientId,
            IssuerSigningKey = Credentials.Key,
        });
        if (!idToken.IsValid)
        {
            return Results.Json(new { error = "invalid_grant", error_description = "the subject token is not valid" }, statusCode: 400);
        }

        var subject = (string)idToken.Claims["sub"];
        var scope = form["scope"].ToString();
        // The client's id at the MCP server, which this provider was told when the feature was set up (ext-auth §6.1).
        var grant = Grant(subject, form["audience"].ToString(), form["resource"].ToString(), McpClientId, scope.Length == 0 ? null : scope, email: idToken.Claims.TryGetValue("email", out var email) ? (string)email : null);
        return Results.Json(new Dictionary<string, object>
        {
            ["issued_token_type"] = IdJagType,
            ["access_token"] = grant,
            ["token_type"] = "N_A",
            ["expires_in"] = 300,
        });
    }

    /// <summary>The MCP client's id at the MCP server, which the provider puts in the grants it issues.</summary>
    public string McpClientId { get; set; } = "enterprise-agent";

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        _key.Dispose();
    }
}
