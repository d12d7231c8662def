using McpSseAuth.Grants;
using McpSseAuth.Http;
using McpSseAuth.Resources;
using McpSseAuth.Validation;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace McpSseAuth.Tokens;

/// <summary>
/// Token introspection (RFC 7662) for resource servers that prefer asking to validating JWTs. Only configured confidential
/// clients with <see cref="McpOAuthClient.AllowIntrospection"/> may call it. An access token is active when genuine,
/// unexpired and its grant not revoked; a refresh token when live. Anything else is <c>{"active":false}</c>, nothing more.
/// </summary>
internal sealed class IntrospectionEndpoint(
    ClientAuthentication clientAuthentication,
    IRefreshTokenStore refreshTokens,
    IGrantRevocations revocations,
    AccessTokenReader accessTokens,
    ServerUris uris,
    ILogger<IntrospectionEndpoint> logger)
{
    public async Task HandleAsync(HttpContext context)
    {
        if (await clientAuthentication.ReadFormAsync(context, logger) is not var (parameters, client))
        {
            return;
        }

        if (!client.IsConfidential)
        {
            await RefuseAsync(context, client.ClientId, OAuthError.InvalidClient("Introspection is for configured confidential clients: authenticate with a secret or a client assertion."));
            return;
        }

        if (!client.MayIntrospect)
        {
            await RefuseAsync(context, client.ClientId, new OAuthError(OAuthErrorCodes.UnauthorizedClient, "This client may not introspect tokens (set AllowIntrospection).", StatusCodes.Status403Forbidden));
            return;
        }

        if (parameters["token"] is not { Length: > 0 } token)
        {
            await RefuseAsync(context, client.ClientId, OAuthError.InvalidRequest("The token parameter is missing."));
            return;
        }

        var answer = await PresentedToken.LookUpAsync(parameters, token, () => AccessTokenAsync(context, token), () => RefreshTokenAsync(context, token))
            ?? new Dictionary<string, object>(StringComparer.Ordinal) { ["active"] = false };

        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.Pragma = "no-cache";
        await context.Response.WriteAsJsonAsync(answer, OAuthJsonContext.Default.DictionaryStringObject, contentType: "application/json", context.RequestAborted);
    }

    private async Task<Dictionary<string, object>?> AccessTokenAsync(HttpContext context, string token)
    {
        if (await accessTokens.ReadAsync(token, uris.Issuer(context), checkLifetime: true) is not { } identity
            || await revocations.IsRevokedAsync(identity.FindFirst(GrantClaims.GrantId)!.Value, context.RequestAborted))
        {
            return null;
        }

        var answer = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["active"] = true,
            ["token_type"] = "Bearer",
            ["iss"] = uris.Issuer(context),
        };
        foreach (var name in new[] { "sub", "client_id", "scope", "jti" })
        {
            if (identity.FindFirst(name)?.Value is { } value)
            {
                answer[name] = value;
            }
        }

        foreach (var name in new[] { "exp", "iat", "nbf" })
        {
            if (long.TryParse(identity.FindFirst(name)?.Value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds))
            {
                answer[name] = seconds;
            }
        }

        // RFC 9449 §6.2: a DPoP-bound token's key, so the resource can check the proof.
        if (AccessTokenProfile.BoundKey(new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(token)) is { } jkt)
        {
            answer["token_type"] = "DPoP";
            answer["cnf"] = new Dictionary<string, object>(StringComparer.Ordinal) { ["jkt"] = jkt };
        }

        var audiences = identity.FindAll("aud").Select(c => c.Value).ToArray();
        answer["aud"] = audiences.Length == 1 ? audiences[0] : audiences;
        if (identity.FindFirst("name")?.Value is { } displayName)
        {
            answer["username"] = displayName;
        }

        return answer;
    }

    private async Task<Dictionary<string, object>?> RefreshTokenAsync(HttpContext context, string token)
    {
        if (await refreshTokens.FindAsync(token, context.RequestAborted) is not { } live)
        {
            return null;
        }

        return new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["active"] = true,
            ["iss"] = uris.Issuer(context),
            ["sub"] = live.User.Subject,
            ["client_id"] = live.ClientId,
            ["scope"] = string.Join(' ', live.Scopes),
            ["aud"] = live.Resources.Count == 1 ? live.Resources[0] : live.Resources.ToArray(),
            ["exp"] = live.ExpiresAt.ToUnixTimeSeconds(),
        };
    }

    private Task RefuseAsync(HttpContext context, string? clientId, OAuthError error) => ClientAuthentication.RefuseAsync(context, logger, clientId, error);
}
