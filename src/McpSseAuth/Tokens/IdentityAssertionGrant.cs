using System.Security.Claims;
using McpSseAuth.Clients;
using McpSseAuth.Enterprise;
using McpSseAuth.Grants;
using McpSseAuth.Http;
using McpSseAuth.Resources;
using McpSseAuth.Storage;
using McpSseAuth.Users;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace McpSseAuth.Tokens;

/// <summary>
/// MCP enterprise-managed authorization (SEP-990; ext-auth "Enterprise-Managed Authorization" §5): an identity assertion
/// JWT authorization grant (ID-JAG) of a trusted enterprise provider, presented as an RFC 7523 JWT bearer grant. Checked:
/// <c>typ: oauth-id-jag+jwt</c>, the signature with the provider's keys, <c>iss</c> the provider's, <c>aud</c> this server's
/// issuer, a short lifetime, <c>client_id</c> the presenting client and one the provider may serve, <c>resource</c> an MCP
/// endpoint here, each <c>jti</c> once (in the storage, so across instances); then the user as for an upstream sign-in —
/// subject from issuer and subject, the access rules, <see cref="McpOAuthEvents.OnSigningIn"/>, the user's status — and an
/// access token of the same profile. No refresh token: the client asks its provider for a new grant, so the provider's policy
/// is applied again each time.
/// </summary>
internal sealed class IdentityAssertionGrant(
    EnterpriseProviders providers,
    UserStatus users,
    AccessTokenIssuer issuer,
    TokenIssuance issuance,
    ResourceIndicators resources,
    IGrantStore grants,
    ServerUris uris,
    [Microsoft.Extensions.DependencyInjection.FromKeyedServices(Telemetry.MeasuredStorage.Key)] IMcpOAuthStorage storage,
    TimeProvider time,
    IOptions<McpOAuthOptions> options,
    Telemetry.SecurityAudit audit,
    UserDirectory directory,
    ILogger<TokenEndpoint> logger)
{
    public const string GrantType = "urn:ietf:params:oauth:grant-type:jwt-bearer";
    public const string AssertionType = "oauth-id-jag+jwt";

    /// <summary>How far ahead a grant's <c>exp</c> may be: providers issue them for minutes (ext-auth's example: 5).</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromMinutes(10);

    private static readonly byte[] Seen = [1];
    private static readonly string[] Algorithms = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"];
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };

    public async Task HandleAsync(HttpContext context, OAuthParameters parameters, ClientRegistration client, string? jkt)
    {
        var (grant, error) = await ReadAsync(context, parameters, client);
        if (error is not null)
        {
            await ClientAuthentication.RefuseAsync(context, logger, client.ClientId, error);
            return;
        }

        var (provider, principal, audiences, scopes) = grant!.Value;
        var o = options.Value;
        var name = provider.Options.Name;
        var rules = users.Current.SignIn.AccessRules;
        if (UpstreamIdentity.From(principal, name, rules) is not { } user)
        {
            await ClientAuthentication.RefuseAsync(context, logger, client.ClientId, OAuthError.InvalidGrant("The assertion does not name its user (" + provider.Options.SubjectClaim + ")."));
            return;
        }

        // The same decisions as an upstream sign-in through the provider: access rules, the host's OnSigningIn, user status.
        if (await UpstreamAdmission.RefusalAsync(context, users, user, principal, name) is { } refused)
        {
            await audit.SignInRefusedAsync(context, name, user.Subject, refused.Reason, client.ClientId);
            await ClientAuthentication.RefuseAsync(context, logger, client.ClientId, OAuthError.InvalidGrant("The user may not use this server."));
            return;
        }

        await directory.NoteSignInAsync(user.Subject, user.Email ?? user.Name ?? user.IssuerAndSubject, name, context.RequestAborted);
        var subject = SignedInUser.From(SignedInUser.CreateExternal(user, principal, o.Tokens.AccessTokenClaims), o.Tokens.AccessTokenClaims)!;
        var now = time.GetUtcNow();
        var grantId = OpaqueHandle.Create();
        // Listed like any grant: the connected-apps page shows it, and revoking the client or the user ends its token at once.
        await grants.StoreAsync(new GrantRecord
        {
            GrantId = grantId,
            Subject = user.Subject,
            ClientId = client.ClientId,
            Scopes = scopes,
            Resources = audiences,
            CreatedAt = now,
            LastUsedAt = now,
            ExpiresAt = now + o.Tokens.AccessTokenLifetime + GrantRecord.TouchInterval,
        }, context.RequestAborted);
        var (accessToken, expiresIn) = issuer.Issue(uris.Issuer(context), audiences, subject, client.ClientId, scopes, grantId, jkt);
        var body = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(TokenIssuance.Response(accessToken, expiresIn, scopes, jkt is not null), OAuthJsonContext.Default.DictionaryStringObject);
        await issuance.AnswerAsync(context, client.ClientId, user.Subject, GrantType, scopes, audiences, body);
    }

    private async Task<((TrustedProvider Provider, ClaimsPrincipal User, IReadOnlyList<string> Audiences, IReadOnlyList<string> Scopes)? Grant, OAuthError? Error)> ReadAsync(
        HttpContext context, OAuthParameters parameters, ClientRegistration client)
    {
        if (parameters["assertion"] is not { Length: > 0 and <= 16 * 1024 } assertion)
        {
            return (null, OAuthError.InvalidRequest("The assertion parameter is missing."));
        }

        if (!_handler.CanReadToken(assertion) || providers.Find(IssuerOf(assertion)) is not { } provider)
        {
            return (null, OAuthError.InvalidGrant("The assertion is not a JWT of a trusted identity provider."));
        }

        var result = await ValidateAsync(context, assertion, provider);
        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt)
        {
            return (null, OAuthError.InvalidGrant("The assertion is not valid: it must be an ID-JAG (typ oauth-id-jag+jwt) signed by its provider, for this server (aud), current, and at most 10 minutes from expiring."));
        }

        string? Text(string claim) => jwt.TryGetPayloadValue<string>(claim, out var value) && value is { Length: > 0 and <= 2048 } ? value : null;
        if (Text("jti") is not { Length: <= 256 } jti || Text("client_id") is not { } clientId || Text("resource") is not { } resource
            || Text(provider.Options.SubjectClaim) is not { } userId || !jwt.TryGetPayloadValue<long>("iat", out _))
        {
            return (null, OAuthError.InvalidGrant("The assertion lacks a claim an ID-JAG must carry: jti, client_id, resource, iat and the user's " + provider.Options.SubjectClaim + "."));
        }

        // ext-auth §5.1: the grant names the client presenting it; and this server lets the provider serve only the clients listed.
        if (!string.Equals(clientId, client.ClientId, StringComparison.Ordinal))
        {
            return (null, OAuthError.InvalidGrant("The assertion was issued to another client."));
        }

        if (!provider.Options.ClientIds.Contains(client.ClientId, StringComparer.Ordinal))
        {
            return (null, OAuthError.UnauthorizedClient("This client may not present identity assertion grants of this provider."));
        }

        if (resources.Resolve(context, resource, out var resourceError) is not { } audiences)
        {
            return (null, resourceError);
        }

        if (parameters["resource"] is { } requested && !string.Equals(ServerUris.CanonicalResource(requested), audiences[0], StringComparison.Ordinal))
        {
            return (null, OAuthError.InvalidTarget("The resource parameter differs from the assertion's resource."));
        }

        if (Scopes(parameters, jwt, out var scopeError) is not { } scopes)
        {
            return (null, scopeError);
        }

        // Once, by every instance (RFC 7521 §5.2 allows it; RFC 7523 §3 item 7): remembered until it could no longer be accepted.
        var remembered = new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero) + options.Value.Tokens.ClockSkew;
        if (!await storage.TryAddAsync(StoredJson.Key("idjag", provider.Options.Issuer, jti), Seen, remembered, null, context.RequestAborted))
        {
            return (null, OAuthError.InvalidGrant("This assertion was already used."));
        }

        // The user as the provider names them: the subject claim as `sub`, issued by the provider (UpstreamIdentity reads both).
        var identity = new ClaimsIdentity(result.ClaimsIdentity.Claims.Where(c => c.Type != "sub"), "idjag", "name", "role");
        identity.AddClaim(new Claim("sub", userId, ClaimValueTypes.String, provider.Options.Issuer));
        return ((provider, new ClaimsPrincipal(identity), audiences, scopes), null);
    }

    private static string? IssuerOf(string assertion)
    {
        try
        {
            return new JsonWebToken(assertion).Issuer;
        }
        catch (Exception e) when (e is ArgumentException or SecurityTokenMalformedException)
        {
            return null;
        }
    }

    private async Task<TokenValidationResult> ValidateAsync(HttpContext context, string assertion, TrustedProvider provider)
    {
        var issuerHere = uris.Issuer(context);
        var now = time.GetUtcNow().UtcDateTime;
        var parameters = new TokenValidationParameters
        {
            ValidIssuer = provider.Options.Issuer,
            ValidAudiences = [issuerHere, issuerHere + "/", .. provider.Options.Audiences],
            ValidTypes = [AssertionType],
            ValidAlgorithms = Algorithms,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ClockSkew = options.Value.Tokens.ClockSkew,
            LifetimeValidator = (notBefore, expires, _, p) =>
                expires is { } exp && exp.ToUniversalTime() > now - p.ClockSkew && exp.ToUniversalTime() <= now + MaxLifetime + p.ClockSkew
                && (notBefore is not { } nbf || nbf.ToUniversalTime() <= now + p.ClockSkew),
            NameClaimType = "name",
            RoleClaimType = "role",
        };
        try
        {
            parameters.IssuerSigningKeys = await provider.KeysAsync(context.RequestAborted);
        }
        catch (InvalidOperationException)
        {
            // The provider's metadata cannot be read: as the storage being down, the client may try again.
            throw new McpStorageUnavailableException("The enterprise identity provider's keys could not be read.");
        }

        var result = await _handler.ValidateTokenAsync(assertion, parameters);
        if (result.Exception is SecurityTokenSignatureKeyNotFoundException && provider.RefreshKeys())
        {
            // Signed with a key the provider added since its keys were read.
            parameters.IssuerSigningKeys = await provider.KeysAsync(context.RequestAborted);
            result = await _handler.ValidateTokenAsync(assertion, parameters);
        }

        return result;
    }

    /// <summary>
    /// The scopes of the token: those the request asks for, within the grant's (the provider's policy) when it names
    /// some, else the default scopes; only scopes this server knows, and no <c>offline_access</c> (no refresh token).
    /// </summary>
    private IReadOnlyList<string>? Scopes(OAuthParameters parameters, JsonWebToken jwt, out OAuthError? error)
    {
        var o = options.Value;
        IReadOnlyList<string> allowed = jwt.TryGetPayloadValue<string>("scope", out var granted) && granted is not null
            ? [.. granted.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(o.Scopes.IsSupported).Where(s => s != McpOAuthDefaults.OfflineAccessScope).Distinct(StringComparer.Ordinal)]
            : [.. o.Scopes.Default.Where(s => s != McpOAuthDefaults.OfflineAccessScope)];
        return TokenTargets.NarrowedScopes(parameters, allowed, "The scope is more than the identity provider granted, or not one this server knows.", out error);
    }
}
