using McpSseAuth.Keys;
using McpSseAuth.Resources;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Discovery;

/// <summary>
/// RFC 8414 authorization server metadata, also served at the OpenID discovery path for clients that look only there
/// (it describes this OAuth server; no ID tokens are issued).
/// </summary>
internal sealed class AuthorizationServerMetadataEndpoint(ServerUris uris, SigningKeys keys, Clients.ConfiguredClients clients, IOptions<McpOAuthOptions> options)
{
    public Task HandleAsync(HttpContext context)
    {
        var metadata = Build(context);
        if (context.Request.Path.StartsWithSegments(McpOAuthDefaults.OpenIdConfigurationPath))
        {
            // Members OpenID discovery requires, so clients that parse this path with an OIDC schema accept it.
            // No ID tokens are issued: "openid" is not among scopes_supported.
            metadata["subject_types_supported"] = new[] { "public" };
            metadata["id_token_signing_alg_values_supported"] = new[] { keys.Current.Algorithm };
        }

        context.Response.Headers.CacheControl = uris.MetadataCacheControl;
        return context.Response.WriteAsJsonAsync(metadata, Http.OAuthJsonContext.Default.DictionaryStringObject, contentType: "application/json", context.RequestAborted);
    }

    private Dictionary<string, object> Build(HttpContext context)
    {
        var o = options.Value;
        var metadata = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["issuer"] = uris.Issuer(context),
            ["authorization_endpoint"] = uris.Under(context, o.Paths.Authorization),
            ["token_endpoint"] = uris.Under(context, o.Paths.Token),
            ["revocation_endpoint"] = uris.Under(context, o.Paths.Revocation),
            ["revocation_endpoint_auth_methods_supported"] = AuthMethods(),
            ["jwks_uri"] = uris.Under(context, o.Paths.Jwks),
            ["scopes_supported"] = o.Scopes.Names.Append(McpOAuthDefaults.OfflineAccessScope).Distinct(StringComparer.Ordinal).ToArray(),
            ["response_types_supported"] = new[] { "code" },
            ["response_modes_supported"] = new[] { "query" },
            ["grant_types_supported"] = GrantTypes(),
            ["token_endpoint_auth_methods_supported"] = AuthMethods(),
            ["code_challenge_methods_supported"] = new[] { "S256" },
            ["authorization_response_iss_parameter_supported"] = true,
            ["client_id_metadata_document_supported"] = o.ClientMetadataDocuments.Enabled,
        };
        if (o.Registration.Enabled)
        {
            metadata["registration_endpoint"] = uris.Under(context, o.Paths.Registration);
        }

        if (clients.AnyConfidential)
        {
            metadata["introspection_endpoint"] = uris.Under(context, o.Paths.Introspection);
            metadata["introspection_endpoint_auth_methods_supported"] = AuthMethods().Where(m => m != "none").ToArray();
        }

        if (o.Dpop.Enabled)
        {
            // RFC 9449 §5.1: the token endpoint binds tokens to the key of a proof signed with one of these.
            metadata["dpop_signing_alg_values_supported"] = Dpop.DpopProofs.Algorithms;
        }

        if (clients.AnyPrivateKeyJwt)
        {
            metadata["token_endpoint_auth_signing_alg_values_supported"] = new[] { "RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "ES512" };
        }

        return metadata;
    }

    /// <summary>The grants of the token endpoint: client credentials when a client may use them, ID-JAG when a provider is trusted.</summary>
    private string[] GrantTypes()
    {
        var grants = new List<string> { "authorization_code", "refresh_token" };
        if (clients.AnyClientCredentials)
        {
            grants.Add("client_credentials");
        }

        if (options.Value.EnterpriseIdentityProviders.Count > 0)
        {
            grants.Add(Tokens.IdentityAssertionGrant.GrantType);
        }

        return [.. grants];
    }

    /// <summary>
    /// Public clients always; the confidential methods only when a configured client uses them, and then first: clients that
    /// are given a secret pick the first method listed (registered clients follow their registration's "none").
    /// </summary>
    private string[] AuthMethods()
    {
        var methods = new List<string>();
        if (clients.AnySecret)
        {
            methods.Add("client_secret_basic");
            methods.Add("client_secret_post");
        }

        if (clients.AnyPrivateKeyJwt)
        {
            methods.Add("private_key_jwt");
        }

        methods.Add("none");
        return [.. methods];
    }
}
