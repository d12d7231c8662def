using Microsoft.AspNetCore.Http;

namespace McpSseAuth;

/// <summary>
/// Paths of the authorization server's endpoints and pages: the <c>Paths</c> section of the configuration. The metadata
/// paths are fixed by their RFCs (see <see cref="McpOAuthDefaults"/>).
/// </summary>
public sealed class McpOAuthPathOptions
{
    /// <summary>Path of the authorization endpoint.</summary>
    public PathString Authorization { get; set; } = "/oauth/authorize";

    /// <summary>Path of the token endpoint.</summary>
    public PathString Token { get; set; } = "/oauth/token";

    /// <summary>Path of the token introspection endpoint (RFC 7662), for configured clients with <see cref="McpOAuthClient.AllowIntrospection"/>.</summary>
    public PathString Introspection { get; set; } = "/oauth/introspect";

    /// <summary>Path of the token revocation endpoint (RFC 7009).</summary>
    public PathString Revocation { get; set; } = "/oauth/revoke";

    /// <summary>Path of the dynamic client registration endpoint.</summary>
    public PathString Registration { get; set; } = "/oauth/register";

    /// <summary>Path of the JSON Web Key Set.</summary>
    public PathString Jwks { get; set; } = "/oauth/jwks";

    /// <summary>Path of the built-in login page; the upstream sign-in returns to <c>{Login}/callback</c>.</summary>
    public PathString Login { get; set; } = "/oauth/login";

    /// <summary>Path the consent form posts to.</summary>
    public PathString Consent { get; set; } = "/oauth/consent";

    /// <summary>Path that signs the user out of the authorization server.</summary>
    public PathString Logout { get; set; } = "/oauth/logout";

    /// <summary>Path of the page where a signed-in user sees and revokes the applications they allowed.</summary>
    public PathString ConnectedApps { get; set; } = "/oauth/apps";

    /// <summary>Path of the page where a signed-in user stores API tokens for <see cref="McpOAuthOptions.ServiceTokens"/>.</summary>
    public PathString ServiceTokens { get; set; } = "/oauth/tokens";

    /// <summary>Path of the operator's view (<see cref="McpOAuthOptions.Operators"/>); its JSON API is under it, at <c>/api</c>.</summary>
    public PathString Operator { get; set; } = "/oauth/operator";
}
