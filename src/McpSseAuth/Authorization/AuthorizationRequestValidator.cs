using McpSseAuth.Clients;
using McpSseAuth.Grants;
using McpSseAuth.Http;
using McpSseAuth.Resources;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Authorization;

/// <summary>
/// Checks an authorization request in the order that decides where an error may go: until the client and its
/// redirect URI are verified, errors are shown as a page, never redirected (RFC 6749 §4.1.2.1, RFC 9700 §4.11).
/// </summary>
internal sealed class AuthorizationRequestValidator(
    IClientStore clients,
    Clients.ClientMetadataDocuments documents,
    ResourceIndicators resources,
    IOptions<McpOAuthOptions> options)
{
    /// <summary>Checks the client and its redirect URI first (errors shown as a page), then the rest (errors redirected).</summary>
    public async Task<AuthorizationRequestCheck> ValidateAsync(
        HttpContext context, OAuthParameters parameters)
    {
        var clientId = parameters["client_id"];
        if (clientId is null)
        {
            return Page(OAuthError.InvalidRequest("The client_id parameter is missing."));
        }

        var client = await clients.FindAsync(clientId, context.RequestAborted);
        if (client is null)
        {
            return Page(OAuthError.InvalidClient(Clients.ClientMetadataDocuments.IsDocumentClientId(clientId)
                ? documents.ProblemFor(clientId) ?? "The application's metadata document could not be used."
                : "This application is not registered with this server (unknown client_id). It should register again."));
        }

        var redirectUri = parameters["redirect_uri"];
        var redirectUriGiven = redirectUri is not null;
        if (redirectUri is null)
        {
            if (client.RedirectUris.Count != 1)
            {
                return Page(OAuthError.InvalidRequest("The redirect_uri parameter is missing."));
            }

            redirectUri = client.RedirectUris[0];
        }
        else if (!RedirectUriRules.Matches(redirectUri, client.RedirectUris))
        {
            return Page(OAuthError.InvalidRequest("The redirect_uri does not match any redirect URI registered for this application."));
        }

        var state = parameters["state"];
        AuthorizationRequestCheck Redirect(OAuthError error) => AuthorizationRequestCheck.Redirect(error, redirectUri, state);

        var responseType = parameters["response_type"];
        if (responseType is null)
        {
            return Redirect(OAuthError.InvalidRequest("The response_type parameter is missing."));
        }

        if (responseType != "code")
        {
            return Redirect(OAuthError.UnsupportedResponseType("Only response_type=code is supported."));
        }

        if (parameters["response_mode"] is { } responseMode && responseMode != "query")
        {
            return Redirect(OAuthError.InvalidRequest("Only response_mode=query is supported."));
        }

        var challenge = parameters["code_challenge"];
        if (challenge is null)
        {
            return Redirect(OAuthError.InvalidRequest("code_challenge is required: use PKCE with code_challenge_method=S256."));
        }

        if (parameters["code_challenge_method"] != Pkce.S256)
        {
            return Redirect(OAuthError.InvalidRequest("code_challenge_method must be S256; plain and a missing method are not accepted."));
        }

        if (!Pkce.IsValidChallenge(challenge))
        {
            return Redirect(OAuthError.InvalidRequest("code_challenge must be 43 base64url characters (the S256 hash of the code verifier)."));
        }

        var o = options.Value;
        // RFC 9449 §10: the client may bind the code to its DPoP key now; the token request must then prove that key.
        var dpopJkt = o.Dpop.Enabled ? parameters["dpop_jkt"] : null;
        if (dpopJkt is not null && !Pkce.IsValidChallenge(dpopJkt))
        {
            return Redirect(OAuthError.InvalidRequest("dpop_jkt must be the 43-character base64url SHA-256 thumbprint of the client's DPoP key (RFC 9449 §10)."));
        }

        string[] scopes;
        if (parameters["scope"] is { } scopeParameter)
        {
            scopes = scopeParameter.Split(' ', StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal).ToArray();
            var unknown = scopes.FirstOrDefault(s => !o.Scopes.IsSupported(s) && s != McpOAuthDefaults.OfflineAccessScope);
            if (unknown is not null)
            {
                return Redirect(OAuthError.InvalidScope($"The scope '{(unknown.Length > 60 ? unknown[..60] : unknown)}' is not known to this server."));
            }

            // offline_access asks for a refresh token: granted to clients registered for refresh_token, dropped for the others.
            if (!client.GrantTypes.Contains("refresh_token", StringComparer.Ordinal))
            {
                scopes = [.. scopes.Where(s => s != McpOAuthDefaults.OfflineAccessScope)];
            }

            if (scopes.Length > 0 && scopes.All(s => s == McpOAuthDefaults.OfflineAccessScope))
            {
                scopes = [.. o.Scopes.Default, .. scopes];
            }
        }
        else
        {
            scopes = [];
        }

        if (scopes.Length == 0)
        {
            scopes = [.. o.Scopes.Default];
        }

        var resource = resources.Resolve(context, parameters["resource"], out var resourceError);
        if (resource is null or { Count: 0 })
        {
            return Redirect(resourceError!);
        }

        // OpenID Connect Core §3.1.2.1: none, login, consent, select_account; none stands alone.
        var prompt = (parameters["prompt"] ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        if (prompt.Contains("none") && prompt.Count > 1)
        {
            return Redirect(OAuthError.InvalidRequest("prompt=none cannot be combined with other prompt values."));
        }

        return AuthorizationRequestCheck.Valid(new ValidatedAuthorizationRequest(client, redirectUri, redirectUriGiven, state, challenge, scopes, resource, prompt, dpopJkt));
    }

    private static AuthorizationRequestCheck Page(OAuthError error) => AuthorizationRequestCheck.Page(error);
}
