using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Discovery;

/// <summary>
/// RFC 8414 authorization server metadata, also served at the OpenID discovery path for clients that look only there
/// (it describes this OAuth server; no ID tokens are issued).
/// </summary>
internal sealed class AuthorizationServerMetadataEndpoint(ServerUris uris, IOptions<McpOAuthOptions> options)
{
    public Task HandleAsync(HttpContext context)
    {
        var o = options.Value;
        var metadata = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["issuer"] = uris.Issuer(context),
            ["authorization_endpoint"] = uris.Under(context, o.AuthorizationEndpointPath),
            ["token_endpoint"] = uris.Under(context, o.TokenEndpointPath),
            ["registration_endpoint"] = uris.Under(context, o.RegistrationEndpointPath),
            ["jwks_uri"] = uris.Under(context, o.JwksPath),
            ["scopes_supported"] = o.Scopes.Keys.ToArray(),
            ["response_types_supported"] = new[] { "code" },
            ["response_modes_supported"] = new[] { "query" },
            ["grant_types_supported"] = new[] { "authorization_code", "refresh_token" },
            ["token_endpoint_auth_methods_supported"] = new[] { "none" },
            ["code_challenge_methods_supported"] = new[] { "S256" },
            ["authorization_response_iss_parameter_supported"] = true,
        };

        context.Response.Headers.CacheControl = "public, max-age=300";
        return context.Response.WriteAsJsonAsync(metadata, Http.OAuthJsonContext.Default.DictionaryStringObject, contentType: "application/json", context.RequestAborted);
    }
}
