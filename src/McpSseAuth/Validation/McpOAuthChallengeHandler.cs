using System.Text.Encodings.Web;
using McpSseAuth.Http;
using McpSseAuth.Resources;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using ModelContextProtocol.AspNetCore.Authentication;

namespace McpSseAuth.Validation;

/// <summary>
/// The handler of the SDK's MCP authentication scheme, in place of the SDK's own: authentication forwarded to the bearer
/// scheme (<see cref="McpBearerHandler"/>), and an RFC 6750 §3 challenge: <c>resource_metadata</c> (RFC 9728 §5.1) and
/// <c>scope</c> always; <c>error="invalid_token"</c> only when a token was sent (§3.1: none when the request had no
/// credentials). Where DPoP is offered a <c>DPoP</c> challenge follows with the accepted <c>algs</c> (RFC 9449 §7.1; only
/// it when DPoP is required), and an error of a request made with DPoP goes there, with <c>DPoP-Nonce</c> when a nonce is
/// what it lacked. Unlike the SDK's handler it serves no requests (the metadata documents are endpoints:
/// <c>Discovery/ProtectedResourceMetadataEndpoint</c>), so the authentication middleware does not create it for every
/// request of the app.
/// </summary>
internal sealed class McpOAuthChallengeHandler(
    IOptionsMonitor<McpAuthenticationOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ServerUris uris,
    ProtectedResources resources,
    IOptions<McpOAuthOptions> oauthOptions)
    : AuthenticationHandler<McpAuthenticationOptions>(options, logger, encoder)
{
    // Reached only when ForwardAuthenticate is unset (it is set to the bearer scheme).
    protected override Task<AuthenticateResult> HandleAuthenticateAsync() => Task.FromResult(AuthenticateResult.NoResult());

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var metadataUri = ProtectedResourceMetadataPath.UriFor(Context, uris, resources);
        var scope = string.Join(' ', resources.ScopesFor(ProtectedResourceMetadataPath.Of(Context, resources), oauthOptions.Value.Scopes.Default));

        var dpop = oauthOptions.Value.Dpop;
        var bearer = AuthenticateChallenge.Bearer() with { Scope = scope, ResourceMetadata = metadataUri };
        var proof = dpop.Enabled ? AuthenticateChallenge.Dpop(Dpop.DpopProofs.Algorithms) with { Scope = scope, ResourceMetadata = metadataUri } : null;
        var authorization = Request.Headers.Authorization.ToString();
        if (authorization.Length > 0)
        {
            // Cached by the authentication handler: the proof is not checked (nor its jti spent) a second time.
            var failure = (await Context.AuthenticateAsync(McpOAuthDefaults.BearerScheme)).Failure;
            var (error, description) = failure is DpopRefusedException refused ? (refused.Error, refused.Description) : (OAuthErrorCodes.InvalidToken, Describe(failure, authorization, dpop.Enabled));
            if (proof is not null && (AuthenticateChallenge.UsesDpop(Request) || dpop.Required))
            {
                proof = proof with { Error = error, ErrorDescription = description };
            }
            else
            {
                bearer = bearer with { Error = error, ErrorDescription = description };
            }

            if (failure is DpopRefusedException { Nonce: { } nonce })
            {
                Response.Headers[Dpop.DpopProofs.NonceHeader] = nonce;
            }
        }

        Response.StatusCode = StatusCodes.Status401Unauthorized;
        if (!dpop.Required || !dpop.Enabled)
        {
            bearer.AppendTo(Response);
        }

        proof?.AppendTo(Response);
        Response.Headers.CacheControl = "no-store";
    }

    // Fixed texts only: nothing from the token or the exception is echoed.
    private static string Describe(Exception? failure, string authorization, bool dpop) => failure switch
    {
        _ when !authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && !(dpop && authorization.StartsWith("DPoP ", StringComparison.OrdinalIgnoreCase))
            => dpop ? "Send the access token as Authorization: Bearer <token>, or DPoP <token> with a DPoP proof" : "Send the access token as Authorization: Bearer <token>",
        SecurityTokenExpiredException => "The access token expired",
        SecurityTokenInvalidAudienceException => "The access token was issued for another resource",
        SecurityTokenInvalidIssuerException => "The access token was issued by another server",
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "The access token signature is not valid",
        SecurityTokenInvalidTypeException => "The token is not an access token (typ must be at+jwt)",
        AccessTokenRevokedException => "The access token was revoked",
        _ => "The access token is not valid",
    };
}
