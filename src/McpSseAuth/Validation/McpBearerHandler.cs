using System.Security.Claims;
using System.Text.Encodings.Web;
using McpSseAuth.Resources;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace McpSseAuth.Validation;

/// <summary>
/// The bearer check of the MCP endpoints (<see cref="McpOAuthDefaults.BearerScheme"/>): this server's access tokens,
/// validated locally (no network round trip) — signature, <c>typ: at+jwt</c>, lifetime and profile once per token
/// (<see cref="ValidatedTokenCache"/>), then per request the issuer, the audience of the endpoint the request reached (so a
/// token is accepted only by the MCP endpoint it was issued for: RFC 8707, MCP authorization "token audience binding"),
/// the grant not revoked and the user still with access. Tokens come only from the <c>Authorization</c> header (RFC 6750
/// §2.1; OAuth 2.1 §5.1 forbids the query string). A DPoP-bound token (<c>cnf.jkt</c>) is accepted only as
/// <c>Authorization: DPoP</c> with a valid proof of its key for this request (RFC 9449 §7), on every request of both
/// transports; a bound token sent as a bearer token is refused. Nothing of JwtBearer's general pipeline (its per-request copy of the
/// validation parameters, its events): a request with a known token costs a dictionary lookup, its claims shared until the request changes them.
/// </summary>
internal sealed class McpBearerHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    ValidatedTokenCache tokens,
    ServerUris uris,
    RevocationChecks revocations,
    Users.UserStatus users,
    Dpop.DpopProofs proofs,
    IOptions<McpOAuthOptions> oauthOptions,
    Telemetry.OAuthMetrics metrics,
    Grants.GrantUse use)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    // An access token of this server is well under 2 KiB; a longer header is not one of them.
    private const int MaxTokenLength = 16 * 1024;

    private readonly ILogger _refusals = loggerFactory.CreateLogger("McpSseAuth.Validation");

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        // Its own span only while one is listened to: otherwise the check costs what it did.
        var activity = Telemetry.OAuthActivities.Start(Telemetry.OAuthActivities.BearerValidation);
        return activity is null ? AuthenticateTokenAsync() : TracedAsync(activity);
    }

    private async Task<AuthenticateResult> TracedAsync(System.Diagnostics.Activity activity)
    {
        using (activity)
        {
            var result = await AuthenticateTokenAsync();
            if (result.Principal is { } principal)
            {
                activity.SetTag(Telemetry.TelemetryTags.ClientId, principal.FindFirst("client_id")?.Value);
                if (oauthOptions.Value.Telemetry.IncludeUserId)
                {
                    activity.SetTag(Telemetry.TelemetryTags.UserId, principal.FindFirst("sub")?.Value);
                }
            }
            else if (result.None)
            {
                activity.SetTag(Telemetry.TelemetryTags.ErrorType, "no token");
            }

            return result;
        }
    }

    private Task<AuthenticateResult> AuthenticateTokenAsync()
    {
        var header = Request.Headers.Authorization;
        if (header.Count != 1 || header[0] is not { } value)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        // RFC 6750 §2.1 Bearer, or RFC 9449 §7.1 DPoP (when offered).
        var dpop = value.StartsWith("DPoP ", StringComparison.OrdinalIgnoreCase) && oauthOptions.Value.Dpop.Enabled;
        if (!dpop && !value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var token = value.AsSpan(dpop ? 5 : 7).Trim();
        if (token.IsEmpty)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (token.Length > MaxTokenLength)
        {
            return Task.FromResult(Failed("malformed", new SecurityTokenMalformedException("The access token is too long.")));
        }

        // The proof names the token by its hash (ath), taken here where the token is at hand without a copy.
        var ath = dpop ? Dpop.DpopProofs.AccessTokenHash(token) : null;
        return tokens.TryGetKnown(token, out var known) ? CheckAsync(known, ath) : ValidateAndCheckAsync(token.ToString(), ath);
    }

    private async Task<AuthenticateResult> ValidateAndCheckAsync(string token, string? ath)
    {
        var (validated, failure) = await tokens.ValidateAsync(token);
        return validated is null ? Failed(failure!.GetType().Name, failure) : await CheckAsync(validated, ath);
    }

    /// <summary>
    /// What is checked per request of a valid token: its issuer and audience here, its grant, its user, and its DPoP
    /// binding. <paramref name="ath"/> is the token's hash when it came as <c>Authorization: DPoP</c>.
    /// </summary>
    private async Task<AuthenticateResult> CheckAsync(ValidatedToken validated, string? ath)
    {
        if (!string.Equals(validated.Issuer, uris.Issuer(Context), StringComparison.Ordinal))
        {
            return Failed("issuer mismatch", new SecurityTokenInvalidIssuerException("The access token was issued by another server."));
        }

        if (Context.GetEndpoint()?.Metadata.GetMetadata<ProtectedResourceMetadataPath>() is not { } resource)
        {
            return AuthenticateResult.Fail(new SecurityTokenInvalidAudienceException("This endpoint is not an MCP endpoint protected by McpSseAuth."));
        }

        var expected = uris.Resource(Context, resource.ResourcePath);
        if (Array.IndexOf(validated.Audiences, expected) < 0)
        {
            return Failed("audience mismatch", new SecurityTokenInvalidAudienceException("The access token was issued for another resource."));
        }

        // A revoked grant (replayed code or refresh token) ends its access tokens now, not at their expiry.
        if (await revocations.IsRevokedAsync(validated.GrantId, Context.RequestAborted))
        {
            return Failed("grant revoked", new AccessTokenRevokedException("The access token's grant was revoked."));
        }

        // A user who lost access (removed, disabled, refused by the access rules or the application) loses it here too,
        // with everything else they hold.
        if (!await users.EnforceAsync(validated.Subject, Context.RequestAborted))
        {
            return Failed("user without access", new AccessTokenRevokedException("The access token's user no longer has access."));
        }

        if ((validated.Jkt is not null || ath is not null || oauthOptions.Value.Dpop.Required) && await SenderRefusalAsync(validated, ath) is { } refused)
        {
            return refused;
        }

        use.Used(validated.GrantId);
        // The token's claims, shared until the request changes them: the application (claims transformation, handlers) may.
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new RequestIdentity(validated.Identity)), Scheme.Name));
    }

    /// <summary>
    /// RFC 9449 §7: a bound token only with a proof of its key for this request (method, URI, the token's hash, fresh, once);
    /// an unbound one only as a bearer token, and not at all when DPoP is required. Null when the request may go on.
    /// </summary>
    private async Task<AuthenticateResult?> SenderRefusalAsync(ValidatedToken validated, string? ath)
    {
        var dpop = oauthOptions.Value.Dpop;
        if (validated.Jkt is null)
        {
            return ath is not null
                ? Failed("bearer token sent as DPoP", new DpopRefusedException(Http.OAuthErrorCodes.InvalidToken, "This access token is not DPoP-bound: send it as Authorization: Bearer"))
                : Failed("bearer token where DPoP is required", new DpopRefusedException(Http.OAuthErrorCodes.InvalidToken, "This server accepts DPoP-bound access tokens only"));
        }

        if (!dpop.Enabled)
        {
            return Failed("DPoP-bound token while DPoP is off", new DpopRefusedException(Http.OAuthErrorCodes.InvalidToken, "This server does not accept DPoP-bound access tokens"));
        }

        if (ath is null)
        {
            return Failed("DPoP-bound token sent as bearer", new DpopRefusedException(Http.OAuthErrorCodes.InvalidToken, "This access token is DPoP-bound: send it as Authorization: DPoP with a DPoP proof"));
        }

        var check = await proofs.CheckAsync(Context, uris.Under(Context, Request.Path), ath);
        if (check.Proof is not { } proof)
        {
            return Failed(check.Error is null ? "no DPoP proof" : "DPoP proof refused", new DpopRefusedException(
                check.Error ?? Dpop.DpopCheck.InvalidProof, check.Description ?? "A DPoP-bound access token needs a DPoP proof in the DPoP header", check.Nonce));
        }

        return string.Equals(proof.Jkt, validated.Jkt, StringComparison.Ordinal)
            ? null
            : Failed("DPoP proof of another key", new DpopRefusedException(Dpop.DpopCheck.InvalidProof, "The DPoP proof is not signed by the key this access token is bound to"));
    }

    private AuthenticateResult Failed(string reason, Exception failure)
    {
        Log.AccessTokenRefused(_refusals, Request.Path, reason);
        metrics.AccessTokenRefused(reason);
        Telemetry.OAuthActivities.Failed(reason);
        return AuthenticateResult.Fail(failure);
    }
}
