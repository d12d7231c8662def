using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using McpSseAuth.Clients;
using McpSseAuth.Http;
using McpSseAuth.Resources;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using static McpSseAuth.Tokens.ClientAuthenticationResult;

namespace McpSseAuth.Tokens;

/// <summary>
/// Who is calling the token, revocation or introspection endpoint (RFC 6749 §2.3). Public clients (every client registered
/// at runtime) send <c>client_id</c> alone and no secret. Confidential clients, configured in
/// <see cref="McpOAuthOptions.Clients"/>, must authenticate: <c>client_secret_basic</c>, <c>client_secret_post</c> (the
/// secret's SHA-256 compared in constant time), or <c>private_key_jwt</c> (RFC 7523 §2.2, each assertion used once).
/// One method per request (OAuth 2.1 §2.4).
/// </summary>
internal sealed class ClientAuthentication(IClientStore clients, Clients.ClientMetadataDocuments documents, ServerUris uris, TimeProvider time, IOptions<McpOAuthOptions> options, [Microsoft.Extensions.DependencyInjection.FromKeyedServices(Telemetry.MeasuredStorage.Key)] Storage.IMcpOAuthStorage storage)
{
    public const string JwtBearerAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    private static readonly TimeSpan MaxAssertionLifetime = TimeSpan.FromMinutes(5);

    private readonly JsonWebTokenHandler _handler = new();

    // Assertions seen, by client and jti, are kept in the storage until they expire, so each is accepted once by all
    // instances. Only configured clients' signed assertions get there, a few minutes each.
    private static readonly byte[] Seen = [1];

    /// <summary>
    /// The token, revocation and introspection endpoints' first step: the form, then its caller. Null when an error has
    /// been answered already (and logged, event 1302).
    /// </summary>
    public async Task<TokenRequest?> ReadFormAsync(HttpContext context, Microsoft.Extensions.Logging.ILogger logger)
        => (await ReadFormAsync(context, logger, static _ => ValueTask.FromResult(true)))?.Request;

    /// <summary>
    /// As <see cref="ReadFormAsync(HttpContext, Microsoft.Extensions.Logging.ILogger)"/>, with <paramref name="alongside"/>
    /// started on the form while the client is authenticated: a read of what the form presents (a code, a refresh token)
    /// that needs nothing of the client waits for the storage in the same round. Nothing is decided on it before the
    /// client is authenticated; it is awaited whatever the client's outcome.
    /// </summary>
    public async Task<(TokenRequest Request, T Read)?> ReadFormAsync<T>(HttpContext context, Microsoft.Extensions.Logging.ILogger logger, Func<OAuthParameters, ValueTask<T>> alongside)
    {
        var (parameters, error) = await OAuthParameters.ReadFormAsync(context);
        if (error is not null)
        {
            await RefuseAsync(context, logger, null, error);
            return null;
        }

        if (Telemetry.EndpointStep.Of(context) is { } step)
        {
            step.GrantType = parameters!["grant_type"];
        }

        var read = alongside(parameters!);
        var ((client, clientError), value) = await Storage.Together.AwaitAsync(AuthenticateAsync(context, parameters!), read);
        if (clientError is not null)
        {
            await RefuseAsync(context, logger, parameters!["client_id"], clientError);
            return null;
        }

        Telemetry.EndpointStep.Client(context, client!.ClientId);
        return (new TokenRequest(parameters!, client!), value);
    }

    /// <summary>Answers an OAuth error from one of these endpoints, logged without any token.</summary>
    public static Task RefuseAsync(HttpContext context, Microsoft.Extensions.Logging.ILogger logger, string? clientId, OAuthError error)
    {
        Log.TokenRefused(logger, Log.Short(clientId), error.Error, error.Description);
        return error.WriteAsync(context);
    }

    public async ValueTask<ClientAuthenticationResult> AuthenticateAsync(HttpContext context, OAuthParameters parameters)
    {
        var basic = context.Request.Headers.Authorization.Count > 0;
        var post = parameters["client_secret"] is not null;
        var assertion = parameters["client_assertion"] is not null || parameters["client_assertion_type"] is not null;
        if ((basic ? 1 : 0) + (post ? 1 : 0) + (assertion ? 1 : 0) > 1)
        {
            return Refused(OAuthError.InvalidRequest("Use one client authentication method per request (OAuth 2.1 §2.4)."));
        }

        if (basic)
        {
            return await BasicAsync(context, parameters);
        }

        if (assertion)
        {
            return await AssertionAsync(context, parameters);
        }

        if (parameters["client_id"] is not { } clientId)
        {
            return Refused(OAuthError.InvalidClient("The client_id parameter is missing."));
        }

        var client = await clients.FindAsync(clientId, context.RequestAborted);
        if (client is null)
        {
            // A URL client id cannot register again: say what was wrong with its document instead.
            return Refused(OAuthError.InvalidClient(Clients.ClientMetadataDocuments.IsDocumentClientId(clientId)
                ? documents.ProblemFor(clientId) ?? "The client's metadata document could not be used."
                : "Unknown client_id. The client should register again."));
        }

        if (post)
        {
            return SecretMatches(client, parameters["client_secret"]!)
                ? Authenticated(client)
                : Refused(OAuthError.InvalidClient("Client authentication failed."));
        }

        return client.IsConfidential
            ? Refused(OAuthError.InvalidClient("This client is confidential: authenticate with its secret or a client assertion."))
            : Authenticated(client);
    }

    private async Task<ClientAuthenticationResult> BasicAsync(HttpContext context, OAuthParameters parameters)
    {
        if (!AuthenticationHeaderValue.TryParse(context.Request.Headers.Authorization.ToString(), out var header)
            || !string.Equals(header.Scheme, "Basic", StringComparison.OrdinalIgnoreCase)
            || DecodeBasic(header.Parameter) is not var (clientId, secret))
        {
            return Refused(OAuthError.InvalidClient("The Authorization header must be HTTP Basic with the client id and secret (RFC 6749 §2.3.1); public clients send client_id in the body instead."));
        }

        if (parameters["client_id"] is { } bodyId && !string.Equals(bodyId, clientId, StringComparison.Ordinal))
        {
            return Refused(OAuthError.InvalidRequest("client_id in the body differs from the one in the Authorization header."));
        }

        var client = await clients.FindAsync(clientId, context.RequestAborted);
        return client is not null && SecretMatches(client, secret)
            ? Authenticated(client)
            : Refused(OAuthError.InvalidClient("Client authentication failed."));
    }

    /// <summary>RFC 6749 §2.3.1: id and secret are form-urlencoded, then joined with ':' and base64-encoded.</summary>
    private static (string ClientId, string Secret)? DecodeBasic(string? parameter)
    {
        if (parameter is null or { Length: > 4096 })
        {
            return null;
        }

        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(parameter));
            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            return colon <= 0 ? null : (Uri.UnescapeDataString(decoded[..colon].Replace('+', ' ')), Uri.UnescapeDataString(decoded[(colon + 1)..].Replace('+', ' ')));
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>
    /// The secret of a confidential client, compared in constant time. A public client sending an empty secret (clients
    /// that pick the first method the metadata lists do) is taken as identifying itself: an empty secret proves nothing
    /// either way, and a public client holds none.
    /// </summary>
    private static bool SecretMatches(ClientRegistration client, string secret)
        => client.SecretHash is { } expected
            ? CryptographicOperations.FixedTimeEquals(expected, SHA256.HashData(Encoding.UTF8.GetBytes(secret)))
            : !client.IsConfidential && secret.Length == 0;

    private async Task<ClientAuthenticationResult> AssertionAsync(HttpContext context, OAuthParameters parameters)
    {
        if (parameters["client_assertion_type"] != JwtBearerAssertionType || parameters["client_assertion"] is not { Length: > 0 and <= 8192 } assertion)
        {
            return Refused(OAuthError.InvalidClient($"client_assertion_type must be {JwtBearerAssertionType}, with a client_assertion JWT."));
        }

        // The issuer names the client whose keys verify it; nothing in it is trusted before that.
        string clientId;
        try
        {
            clientId = _handler.ReadJsonWebToken(assertion).Issuer;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or SecurityTokenException)
        {
            return Refused(OAuthError.InvalidClient("client_assertion is not a signed JWT."));
        }

        if (parameters["client_id"] is { } bodyId && !string.Equals(bodyId, clientId, StringComparison.Ordinal))
        {
            return Refused(OAuthError.InvalidClient("client_id differs from the client assertion's issuer."));
        }

        var client = string.IsNullOrEmpty(clientId) ? null : await clients.FindAsync(clientId, context.RequestAborted);
        if (client?.AssertionKeys is not { } keys)
        {
            return Refused(OAuthError.InvalidClient("Client authentication failed."));
        }

        var issuer = uris.Issuer(context);
        var now = time.GetUtcNow();
        var result = await _handler.ValidateTokenAsync(assertion, new TokenValidationParameters
        {
            ValidIssuer = clientId,
            // RFC 7523 §3: the token endpoint's URL; the issuer is accepted too (as newer drafts recommend), and this endpoint's own URL.
            ValidAudiences = [issuer, uris.Under(context, options.Value.Paths.Token), uris.Under(context, context.Request.Path)],
            IssuerSigningKeys = keys,
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512, SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.EcdsaSha512],
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ClockSkew = options.Value.Tokens.ClockSkew,
            LifetimeValidator = (notBefore, expires, _, p) =>
                expires is { } exp && exp.ToUniversalTime() > now.UtcDateTime - p.ClockSkew && exp.ToUniversalTime() <= now.UtcDateTime + MaxAssertionLifetime + p.ClockSkew
                && (notBefore is not { } nbf || nbf.ToUniversalTime() <= now.UtcDateTime + p.ClockSkew),
        });
        if (!result.IsValid || result.SecurityToken is not JsonWebToken token
            || !string.Equals(token.Subject, clientId, StringComparison.Ordinal)
            || !token.TryGetPayloadValue<string>("jti", out var jti) || string.IsNullOrEmpty(jti) || jti.Length > 256)
        {
            return Refused(OAuthError.InvalidClient("Client authentication failed: the assertion must be signed by the client's key, with iss = sub = client_id, this server as aud, a jti, and an exp at most 5 minutes ahead."));
        }

        // Single use (RFC 7523 §3 item 7): remembered until it expires.
        // An assertion that cannot be remembered (storage down) is not accepted: the exception answers 503 (fail closed).
        var remembered = now + MaxAssertionLifetime + options.Value.Tokens.ClockSkew + options.Value.Tokens.ClockSkew;
        if (!await storage.TryAddAsync(Storage.StoredJson.Key("assertion", clientId, jti), Seen, remembered, null, context.RequestAborted))
        {
            return Refused(OAuthError.InvalidClient("Client authentication failed: this client assertion was already used."));
        }

        return Authenticated(client);
    }
}
