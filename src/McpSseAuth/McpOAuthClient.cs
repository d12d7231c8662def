namespace McpSseAuth;

/// <summary>
/// A client known from configuration rather than registered at runtime: a fixed public client (for example a web client
/// with a known callback URL), or a confidential machine client that authenticates with a secret
/// (<c>client_secret_basic</c> / <c>client_secret_post</c>) or a signed assertion (<c>private_key_jwt</c>, RFC 7523).
/// Configured clients are never evicted and survive restarts. Bind from configuration (<c>McpOAuth:Clients:0:ClientId</c>, ...)
/// or add in code.
/// </summary>
public sealed class McpOAuthClient
{
    /// <summary>The client id. Unique; printable ASCII without spaces, at most 200 characters.</summary>
    public string ClientId { get; set; } = "";

    /// <summary>The name the consent and connected-apps pages show.</summary>
    public string? ClientName { get; set; }

    /// <summary>Redirect URIs, matched exactly (loopback http on any port). Needed for <c>authorization_code</c>.</summary>
    public IList<string> RedirectUris { get; } = [];

    /// <summary>
    /// A secret, for <c>client_secret_basic</c> or <c>client_secret_post</c>: at least 32 characters. Only its SHA-256 is
    /// kept in memory, compared in constant time. Keep it out of source control (user secrets, environment, a vault).
    /// </summary>
    public string? ClientSecret { get; set; }

    /// <summary>
    /// The client's public keys as a JSON Web Key Set (<c>{"keys":[...]}</c>), for <c>private_key_jwt</c>: the client signs
    /// an assertion with <c>iss</c> = <c>sub</c> = its id, <c>aud</c> = the issuer or the endpoint URL, a unique <c>jti</c> and an
    /// <c>exp</c> at most 5 minutes ahead. Private key members are refused.
    /// </summary>
    public string? JwksJson { get; set; }

    /// <summary>
    /// Grant types: <c>authorization_code</c>, <c>refresh_token</c>, <c>client_credentials</c> (confidential clients only).
    /// Empty means <c>authorization_code</c> and <c>refresh_token</c> when there are redirect URIs, else <c>client_credentials</c>.
    /// </summary>
    public IList<string> GrantTypes { get; } = [];

    /// <summary>Scopes a <c>client_credentials</c> token may carry; empty means <see cref="McpOAuthScopeOptions.Default"/>.</summary>
    public IList<string> Scopes { get; } = [];

    /// <summary>May call the introspection endpoint (RFC 7662), e.g. a resource server that prefers it to validating JWTs. Confidential clients only.</summary>
    public bool AllowIntrospection { get; set; }

    /// <summary>
    /// This client must use DPoP (RFC 9449): its token requests without a proof are refused, so every token it gets is
    /// bound to its key. As the registration metadata <c>dpop_bound_access_tokens: true</c> does for a registered client.
    /// </summary>
    public bool RequireDpop { get; set; }
}
