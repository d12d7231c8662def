namespace McpSseAuth;

/// <summary>
/// An enterprise identity provider whose identity assertion grants (ID-JAG: MCP's enterprise-managed authorization, SEP-990;
/// draft-ietf-oauth-identity-assertion-authz-grant) this server accepts at its token endpoint: a client the provider signed
/// the user in to exchanges the provider's grant for an access token (<c>grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer</c>),
/// without the user seeing this server's pages. The provider's policy decides which users may use which clients with this
/// server; this server still applies its own access rules and user status, as for a user who signs in. Bind from
/// configuration (<c>McpOAuth:EnterpriseIdentityProviders:0:Issuer</c>, ...) or add in code.
/// </summary>
public sealed class McpEnterpriseIdentityProvider
{
    /// <summary>A short name for logs and for <see cref="IMcpUserStatus"/> (as the user's sign-in scheme), e.g. <c>okta</c>. Unique.</summary>
    public string Name { get; set; } = "";

    /// <summary>The provider's issuer, exactly as its grants' <c>iss</c> says (e.g. <c>https://acme.okta.com</c>).</summary>
    public string Issuer { get; set; } = "";

    /// <summary>
    /// Where the provider's metadata is (OpenID Connect discovery or RFC 8414), from which its signing keys are read and
    /// refreshed: default <see cref="Issuer"/> + <c>/.well-known/openid-configuration</c>. https, except on a loopback host.
    /// </summary>
    public Uri? MetadataAddress { get; set; }

    /// <summary>The provider's public keys as a JSON Web Key Set (<c>{"keys":[...]}</c>), instead of fetching them from <see cref="MetadataAddress"/>.</summary>
    public string? JwksJson { get; set; }

    /// <summary>
    /// The clients (their ids at this server) that may present this provider's grants; required. A grant names its client
    /// (<c>client_id</c>), which must be the client that presents it. A confidential client is advised: a public one cannot
    /// prove it is the client the grant names, so a grant stolen in its few minutes of life could be used.
    /// </summary>
    public IList<string> ClientIds { get; } = [];

    /// <summary>Audiences (<c>aud</c>) accepted besides this server's issuer, for a provider that names this server otherwise.</summary>
    public IList<string> Audiences { get; } = [];

    /// <summary>The claim that identifies the user (default <c>sub</c>). The user's subject here is derived from the issuer and it, as for an upstream sign-in through the same provider.</summary>
    public string SubjectClaim { get; set; } = "sub";
}
