namespace McpSseAuth;

/// <summary>
/// Settings of the McpSseAuth authorization server and of the protection of MCP endpoints. Each group is a section of the
/// configuration (<c>McpOAuth:Tokens:AccessTokenLifetime</c>, ...); see docs/configuration.md for the JSON.
/// </summary>
public sealed class McpOAuthOptions
{
    /// <summary>
    /// The issuer identifier (RFC 8414 §2): https scheme, no query, no fragment, no trailing slash needed.
    /// When null the issuer is derived from each request's scheme, host and path base, which suits development
    /// on loopback; set it in production so a forged <c>Host</c> header cannot change it.
    /// </summary>
    public Uri? Issuer { get; set; }

    /// <summary>A human-readable name of the protected MCP server, published as the PRM <c>resource_name</c>.</summary>
    public string? ResourceName { get; set; }

    /// <summary>
    /// Serve legacy HTTP+SSE (<c>GET /sse</c> + <c>POST /message</c>) besides Streamable HTTP. Legacy SSE needs server
    /// sessions, so when this is on and the SDK's session mode is <c>Stateless</c>, it becomes
    /// <c>StatefulForInitializeClients</c> (stateless for 2026-07-28 clients, sessions for older ones). Default true.
    /// </summary>
    public bool EnableLegacySse { get; set; } = true;

    /// <summary>
    /// Allows an http issuer on a host that is not loopback. Only for development behind a trusted network:
    /// tokens and passwords then travel in clear text.
    /// </summary>
    public bool AllowInsecureHttp { get; set; }

    /// <summary>
    /// Origins (<c>https://app.example.com</c>) of browser pages allowed to call the MCP endpoints besides this server's own
    /// (the issuer's). A request whose <c>Origin</c> header names another is refused with 403: DNS rebinding protection, as
    /// MCP's transports require. Requests without <c>Origin</c> (clients that are not browsers) are not concerned. Empty by default.
    /// </summary>
    public IList<string> AllowedOrigins { get; } = [];

    /// <summary>Lifetimes of codes and tokens, the claims access tokens carry, the bound on flows in progress.</summary>
    public McpOAuthTokenOptions Tokens { get; } = new();

    /// <summary>The keys that sign access tokens: a fixed key, or a rotating ring and where it is kept.</summary>
    public McpOAuthSigningOptions Signing { get; } = new();

    /// <summary>Scopes this server knows, grants by default and requires per tool, prompt or resource.</summary>
    public McpOAuthScopeOptions Scopes { get; } = new();

    /// <summary>Private-use schemes and hosts allowed for redirect URIs.</summary>
    public McpOAuthRedirectUriOptions RedirectUris { get; } = new();

    /// <summary>Dynamic client registration (RFC 7591): the initial access token and the bounds on registered clients.</summary>
    public McpOAuthRegistrationOptions Registration { get; } = new();

    /// <summary>Client ID Metadata Documents: URL client ids described by a document at that URL (see <see cref="McpClientMetadataDocumentOptions"/>).</summary>
    public McpClientMetadataDocumentOptions ClientMetadataDocuments { get; } = new();

    /// <summary>
    /// Enterprise identity providers whose identity assertion grants (ID-JAG, MCP enterprise-managed authorization) the token
    /// endpoint accepts (see <see cref="McpEnterpriseIdentityProvider"/>). Empty by default: the grant type is not offered.
    /// </summary>
    public IList<McpEnterpriseIdentityProvider> EnterpriseIdentityProviders { get; } = [];

    /// <summary>Sender-constrained tokens (DPoP, RFC 9449): offered, required for all, nonces, proof lifetime.</summary>
    public McpOAuthDpopOptions Dpop { get; } = new();

    /// <summary>
    /// Clients known from configuration: fixed public clients and confidential machine clients (see <see cref="McpOAuthClient"/>).
    /// Dynamic client registration stays open for everyone else.
    /// </summary>
    public IList<McpOAuthClient> Clients { get; } = [];

    /// <summary>Local users for the built-in login page. Passwords are stored as <c>PasswordHasher</c> hashes.</summary>
    public IList<McpOAuthUser> Users { get; } = [];

    /// <summary>Sign-in: its lifetime, remote schemes and their access rules, failed attempts, how soon lost access applies.</summary>
    public McpOAuthSignInOptions SignIn { get; } = new();

    /// <summary>
    /// Services whose API tokens users may store for themselves on the service-tokens page, for tools to use on
    /// their behalf (see <see cref="IMcpUserTokens"/>). Empty by default, which hides the page.
    /// </summary>
    public IList<McpServiceTokenDefinition> ServiceTokens { get; } = [];

    /// <summary>The operator's view: who may see and revoke every user's grants and sessions, and how its API is reached.</summary>
    public McpOAuthOperatorOptions Operators { get; } = new();

    /// <summary>Bounds on live MCP sessions and their messages.</summary>
    public McpOAuthSessionOptions Sessions { get; } = new();

    /// <summary>Paths of the authorization server's endpoints and pages.</summary>
    public McpOAuthPathOptions Paths { get; } = new();

    /// <summary>The layout and words of the login, consent, account and error pages.</summary>
    public McpOAuthPageOptions Pages { get; } = new();

    /// <summary>What the spans may say: the user's id only when allowed (docs/observability.md).</summary>
    public McpOAuthTelemetryOptions Telemetry { get; } = new();

    /// <summary>Hooks into the authorization server's steps.</summary>
    public McpOAuthEvents Events { get; set; } = new();

    /// <summary>Adds a service whose API token users may store on the service-tokens page.</summary>
    /// <param name="name">The name tools ask for, e.g. <c>github</c>: letters, digits, <c>-</c>, <c>_</c> and <c>.</c>.</param>
    /// <param name="displayName">The name shown on the page.</param>
    /// <param name="description">What the token is used for, shown on the page.</param>
    /// <returns>These options, for chaining.</returns>
    public McpOAuthOptions AddServiceToken(string name, string displayName, string? description = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(displayName);
        ServiceTokens.Add(new McpServiceTokenDefinition { Name = name, DisplayName = displayName, Description = description });
        return this;
    }

    /// <summary>
    /// Adds a local user whose password is hashed here, with <see cref="McpOAuthSignInOptions.PasswordHashIterations"/> as set
    /// when this is called; suitable for development and tests.
    /// </summary>
    /// <param name="userName">The name typed on the login page; also the token subject.</param>
    /// <param name="password">The password in clear text; only its hash is kept.</param>
    /// <returns>These options, for chaining.</returns>
    public McpOAuthOptions AddUser(string userName, string password)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userName);
        ArgumentException.ThrowIfNullOrEmpty(password);
        var iterations = Math.Max(SignIn.PasswordHashIterations, LocalUserPasswords.MinimumIterations);
        Users.Add(new McpOAuthUser { UserName = userName, PasswordHash = LocalUserPasswords.Hash(userName, password, iterations) });
        return this;
    }
}
