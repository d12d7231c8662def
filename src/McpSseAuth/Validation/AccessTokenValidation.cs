using McpSseAuth.Grants;
using McpSseAuth.Resources;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace McpSseAuth.Validation;

/// <summary>
/// Configures JwtBearer to validate this server's access tokens locally (no network round trip): signature with the
/// signing keys, <c>typ: at+jwt</c>, lifetime; then issuer and audience per request, so a token is accepted only by
/// the MCP endpoint it was issued for (RFC 8707, MCP authorization "token audience binding"). Tokens come only from
/// the <c>Authorization</c> header (RFC 6750 §2.1; OAuth 2.1 §5.1 forbids the query string).
/// </summary>
internal sealed class AccessTokenValidation(AccessTokenReader reader, ValidatedTokenCache tokens, ServerUris uris, RevocationChecks revocations, Users.UserStatus users, ILoggerFactory loggerFactory)
    : IConfigureNamedOptions<JwtBearerOptions>
{
    private readonly ILogger _logger = loggerFactory.CreateLogger("McpSseAuth.Validation");

    public void Configure(JwtBearerOptions options) => Configure(Options.DefaultName, options);

    public void Configure(string? name, JwtBearerOptions bearer)
    {
        if (name != McpOAuthDefaults.BearerScheme)
        {
            return;
        }

        bearer.MapInboundClaims = false;
        bearer.SaveToken = false;
        bearer.IncludeErrorDetails = false;
        // Signature, type and lifetime; issuer and audience depend on the request and are checked below.
        bearer.TokenValidationParameters = reader.Parameters;
        // The signature is checked once per token, not once per request.
        bearer.TokenHandlers.Clear();
        bearer.TokenHandlers.Add(tokens);
        bearer.Events = new JwtBearerEvents
        {
            OnTokenValidated = async context =>
            {
                var http = context.HttpContext;
                var principal = context.Principal!;
                if (!string.Equals(principal.FindFirst("iss")?.Value, uris.Issuer(http), StringComparison.Ordinal))
                {
                    Log.AccessTokenRefused(_logger, http.Request.Path, "issuer mismatch");
                    context.Fail(new SecurityTokenInvalidIssuerException("The access token was issued by another server."));
                    return;
                }

                if (http.GetEndpoint()?.Metadata.GetMetadata<ProtectedResourceMetadataPath>() is not { } resource)
                {
                    context.Fail(new SecurityTokenInvalidAudienceException("This endpoint is not an MCP endpoint protected by McpSseAuth."));
                    return;
                }

                var expected = uris.Resource(http, resource.ResourcePath);
                if (!principal.FindAll("aud").Any(a => string.Equals(a.Value, expected, StringComparison.Ordinal)))
                {
                    Log.AccessTokenRefused(_logger, http.Request.Path, "audience mismatch");
                    context.Fail(new SecurityTokenInvalidAudienceException("The access token was issued for another resource."));
                    return;
                }

                // A revoked grant (replayed code or refresh token) ends its access tokens now, not at their expiry. Every
                // token that got here names its grant (AccessTokenProfile).
                if (await revocations.IsRevokedAsync(principal.FindFirst(GrantClaims.GrantId)!.Value, http.RequestAborted))
                {
                    Log.AccessTokenRefused(_logger, http.Request.Path, "grant revoked");
                    context.Fail(new AccessTokenRevokedException("The access token's grant was revoked."));
                    return;
                }

                // A user who lost access (removed, disabled, refused by the access rules or the application) loses it here
                // too, with everything else they hold.
                if (!await users.EnforceAsync(principal.FindFirst("sub")!.Value, http.RequestAborted))
                {
                    Log.AccessTokenRefused(_logger, http.Request.Path, "user without access");
                    context.Fail(new AccessTokenRevokedException("The access token's user no longer has access."));
                }
            },
            OnAuthenticationFailed = context =>
            {
                if (Http.StorageFaults.Find(context.Exception) is not null)
                {
                    return Task.CompletedTask;   // not the token's fault: rethrown, answered 503 (StorageFaults)
                }

                Log.AccessTokenRefused(_logger, context.HttpContext.Request.Path, context.Exception.GetType().Name);
                return Task.CompletedTask;
            },
        };
    }
}
