using McpSseAuth.Clients;
using McpSseAuth.Dpop;
using McpSseAuth.Http;
using McpSseAuth.Resources;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Tokens;

/// <summary>
/// The key a token request's tokens are bound to (RFC 9449 §5): the thumbprint of the DPoP proof's key when the request
/// carries a valid proof for the token endpoint, none for a plain bearer request — refused when this server
/// (<see cref="McpOAuthDpopOptions.Required"/>) or the client (<c>dpop_bound_access_tokens</c>,
/// <see cref="McpOAuthClient.RequireDpop"/>) asks for DPoP. Checked before any grant is looked at, so a refused proof
/// spends no code and no refresh token.
/// </summary>
internal sealed class TokenBinding(DpopProofs proofs, ServerUris uris, IOptions<McpOAuthOptions> options)
{
    /// <summary>The thumbprint to bind to (null: bearer tokens), or the error to answer.</summary>
    public async ValueTask<(string? Jkt, OAuthError? Error)> BindAsync(HttpContext context, ClientRegistration client)
    {
        var o = options.Value;
        if (!o.Dpop.Enabled)
        {
            return (null, null);
        }

        var check = await proofs.CheckAsync(context, uris.Under(context, o.Paths.Token), ath: null);
        if (check.Nonce is { } nonce)
        {
            context.Response.Headers[DpopProofs.NonceHeader] = nonce;
            return (null, OAuthError.UseDpopNonce(check.Description!));
        }

        if (check.Failed)
        {
            return (null, OAuthError.InvalidDpopProof(check.Description!));
        }

        if (check.Proof is null && (o.Dpop.Required || client.DpopBoundAccessTokens))
        {
            return (null, OAuthError.InvalidDpopProof(o.Dpop.Required
                ? "This server issues DPoP-bound tokens only: send a DPoP proof (RFC 9449) with the token request."
                : "This client is registered to use DPoP (dpop_bound_access_tokens): send a DPoP proof with the token request."));
        }

        return (check.Proof?.Jkt, null);
    }
}
