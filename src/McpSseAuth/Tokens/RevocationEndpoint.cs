using McpSseAuth.Grants;
using McpSseAuth.Http;
using McpSseAuth.Resources;
using McpSseAuth.Validation;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace McpSseAuth.Tokens;

/// <summary>
/// Token revocation (RFC 7009). A client revokes its refresh token or access token; either ends the whole grant at once:
/// its refresh tokens are refused, its access tokens get 401 on their next request, its MCP sessions end. The answer is
/// 200 whether or not the token was known, valid, or another client's (§2.2: nothing is revealed); only the client's own
/// tokens are revoked.
/// </summary>
internal sealed class RevocationEndpoint(
    ClientAuthentication clientAuthentication,
    IRefreshTokenStore refreshTokens,
    GrantRevocation revocation,
    AccessTokenReader accessTokens,
    ServerUris uris,
    Telemetry.SecurityAudit audit,
    ILogger<RevocationEndpoint> logger)
{
    public async Task HandleAsync(HttpContext context)
    {
        if (await clientAuthentication.ReadFormAsync(context, logger) is not var (parameters, client))
        {
            return;
        }

        if (parameters["token"] is not { Length: > 0 } token)
        {
            await RefuseAsync(context, client.ClientId, OAuthError.InvalidRequest("The token parameter is missing."));
            return;
        }

        var grant = await PresentedToken.LookUpAsync(parameters, token, () => FromAccessTokenAsync(context, token), () => FromRefreshTokenAsync(context, token));
        if (grant is not null)
        {
            if (string.Equals(grant.ClientId, client.ClientId, StringComparison.Ordinal))
            {
                await revocation.RevokeAsync(grant.GrantId, context.RequestAborted);
                await audit.RevokedByClientAsync(context, client.ClientId, grant.Subject, grant.GrantId, grant.Kind);
            }
            else
            {
                Log.TokenRevocationOfOther(logger, client.ClientId, grant.Kind);
            }
        }

        context.Response.Headers.CacheControl = "no-store";
        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    private sealed record Found(string GrantId, string ClientId, string? Subject, string Kind);

    private async Task<Found?> FromRefreshTokenAsync(HttpContext context, string token)
        => await refreshTokens.FindAsync(token, context.RequestAborted) is { } live ? new Found(live.GrantId, live.ClientId, live.User.Subject, "refresh token") : null;

    private async Task<Found?> FromAccessTokenAsync(HttpContext context, string token)
    {
        // An expired access token still names its grant, whose refresh tokens may live on.
        if (await accessTokens.ReadAsync(token, uris.Issuer(context), checkLifetime: false) is not { } identity
            || identity.FindFirst(GrantClaims.GrantId)?.Value is not { } grantId
            || identity.FindFirst("client_id")?.Value is not { } clientId)
        {
            return null;
        }

        return new Found(grantId, clientId, identity.FindFirst("sub")?.Value, "access token");
    }

    private Task RefuseAsync(HttpContext context, string? clientId, OAuthError error) => ClientAuthentication.RefuseAsync(context, logger, clientId, error);
}
