namespace McpSseAuth;

/// <summary>Names and paths used by McpSseAuth.</summary>
public static class McpOAuthDefaults
{
    /// <summary>The cookie scheme that remembers who signed in to the authorization server.</summary>
    public const string SignInCookieScheme = "McpOAuth.SignIn";

    /// <summary>
    /// The short-lived cookie scheme that remote sign-in schemes (<see cref="McpOAuthSignInOptions.Schemes"/>) sign in
    /// to; McpSseAuth reads it once on return, applies the access rules, and deletes it.
    /// </summary>
    public const string ExternalCookieScheme = "McpOAuth.External";

    /// <summary>The JWT bearer scheme that validates access tokens on the MCP endpoints.</summary>
    public const string BearerScheme = "McpOAuth.Bearer";

    /// <summary>The authorization policy that protects the MCP endpoints mapped by <c>MapMcpSse</c>.</summary>
    public const string AuthorizationPolicy = "McpOAuth";

    /// <summary>The scope granted when a client asks for none.</summary>
    public const string DefaultScope = "mcp:tools";

    /// <summary>
    /// The scope a client may add to ask for a refresh token (MCP 2026-07-28 "Refresh Tokens"). Listed in the authorization
    /// server's <c>scopes_supported</c>, never in protected resource metadata or challenges, never in access tokens. Refresh
    /// tokens go to clients registered for the <c>refresh_token</c> grant whether or not they ask; others have it dropped.
    /// </summary>
    public const string OfflineAccessScope = "offline_access";

    /// <summary>
    /// The name of McpSseAuth's <see cref="System.Diagnostics.ActivitySource"/> and <see cref="System.Diagnostics.Metrics.Meter"/>:
    /// pass it to OpenTelemetry's <c>AddSource</c> and <c>AddMeter</c> (docs/observability.md lists every span and metric).
    /// </summary>
    public const string TelemetryName = "McpSseAuth";

    /// <summary>
    /// The logging category of the audit trail: sign-ins, consents, registrations, replays, revocations and users losing
    /// access, each with a stable event id (docs/observability.md). Route it to a SIEM with a logging filter or provider.
    /// </summary>
    public const string AuditCategory = "McpSseAuth.Audit";

    /// <summary>RFC 8414 authorization server metadata path.</summary>
    public const string AuthorizationServerMetadataPath = "/.well-known/oauth-authorization-server";

    /// <summary>OpenID Connect discovery path, serving the same facts for clients that only look there.</summary>
    public const string OpenIdConfigurationPath = "/.well-known/openid-configuration";

    /// <summary>RFC 9728 protected resource metadata path prefix.</summary>
    public const string ProtectedResourceMetadataPath = "/.well-known/oauth-protected-resource";
}
