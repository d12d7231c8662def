using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.Tokens;

namespace McpSseAuth;

/// <summary>Settings of the McpSseAuth authorization server and of the protection of MCP endpoints.</summary>
public sealed partial class McpOAuthOptions
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
    /// Hosts an https redirect URI may name at dynamic registration: exact names (<c>claude.ai</c>) or all subdomains
    /// (<c>*.example.com</c>). Empty (the default) allows any host. Loopback redirect URIs (native clients) and the
    /// <see cref="AllowedRedirectUriSchemes"/> are allowed either way.
    /// </summary>
    public ISet<string> AllowedRedirectHosts { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// An initial access token (RFC 7591 §3): when set, dynamic registration requires <c>Authorization: Bearer</c> with it,
    /// so only clients you hand it to can register. At least 32 characters. Null (the default) leaves registration open,
    /// as MCP clients expect.
    /// </summary>
    public string? RegistrationAccessToken { get; set; }

    /// <summary>
    /// Registrations allowed per client address within <see cref="RegistrationWindow"/> (default 200 per 10 minutes); beyond
    /// it 429 with Retry-After. Sized for an office behind one NAT address: 100 people registering two or three clients each
    /// in the same half hour stay under it, while one address registering flat out needs hours to cycle
    /// <see cref="MaxRegisteredClients"/>, and clients with a grant are never evicted. Behind a reverse proxy, use ASP.NET
    /// Core's forwarded-headers middleware so the address is right.
    /// </summary>
    public int MaxRegistrationsPerAddress { get; set; } = 200;

    /// <summary>The window of <see cref="MaxRegistrationsPerAddress"/>. Default 10 minutes.</summary>
    public TimeSpan RegistrationWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// A registered client that no user allowed within this time is removed (default 7 days). One that was allowed is kept
    /// until its last token is older than both this and <see cref="RefreshTokenLifetime"/>, so a client with a live grant is
    /// never removed. Configured clients are never removed.
    /// </summary>
    public TimeSpan UnusedClientLifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Client ID Metadata Documents: URL client ids described by a document at that URL (see <see cref="McpClientMetadataDocumentOptions"/>).</summary>
    public McpClientMetadataDocumentOptions ClientMetadataDocuments { get; } = new();

    /// <summary>
    /// Clients known from configuration: fixed public clients and confidential machine clients (see <see cref="McpOAuthClient"/>).
    /// Dynamic client registration stays open for everyone else.
    /// </summary>
    public IList<McpOAuthClient> Clients { get; } = [];

    /// <summary>Scopes this server knows, with the words the consent page shows for each.</summary>
    public IDictionary<string, string> Scopes { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [McpOAuthDefaults.DefaultScope] = "Use the tools, prompts and resources of this MCP server",
    };

    /// <summary>The words the consent and connected-apps pages show for a scope.</summary>
    internal string DescribeScope(string scope)
        => Scopes.TryGetValue(scope, out var words) ? words
            : scope == McpOAuthDefaults.OfflineAccessScope ? "Stay connected: keep access while you are away, until you revoke it"
            : scope;

    /// <summary>
    /// Scopes required per tool, prompt or resource, besides <see cref="McpRequiredScopesAttribute"/>; and whether lists
    /// leave out what the caller lacks the scopes for (by default they do not, so clients can step up).
    /// </summary>
    public McpRequiredScopes RequiredScopes { get; } = new();

    /// <summary>Scopes granted when the client asks for none. Each must be in <see cref="Scopes"/>.</summary>
    public IList<string> DefaultScopes { get; } = [McpOAuthDefaults.DefaultScope];

    /// <summary>Lifetime of access tokens. Default 1 hour.</summary>
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Idle lifetime of refresh tokens: one unused this long expires. Each use rotates the token and starts the time again,
    /// up to <see cref="RefreshTokenAbsoluteLifetime"/>. Default 30 days.
    /// </summary>
    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// Absolute lifetime of a grant's refresh tokens, counted from the sign-in and consent that created the grant: after it
    /// the user must authorize the client again, however often it refreshed. Default 180 days.
    /// </summary>
    public TimeSpan RefreshTokenAbsoluteLifetime { get; set; } = TimeSpan.FromDays(180);

    /// <summary>
    /// How long a rotated refresh token presented again gets the same answer as its first use (the same new access and
    /// refresh tokens), so concurrent refreshes and retries after a lost response do not lock the user out. A replay after
    /// it revokes the whole grant (RFC 9700 §4.14.2). Zero turns the window off. Default 30 seconds; at most 5 minutes.
    /// </summary>
    public TimeSpan RefreshTokenReuseWindow { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Lifetime of authorization codes (RFC 6749 §4.1.2 recommends at most 10 minutes). Default 1 minute.</summary>
    public TimeSpan AuthorizationCodeLifetime { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a sign-in to the authorization server is remembered. Default 8 hours.</summary>
    public TimeSpan SignInLifetime { get; set; } = TimeSpan.FromHours(8);

    /// <summary>
    /// How soon a user who lost access loses everything (default 30 seconds): a user removed from or disabled in
    /// <see cref="Users"/>, an upstream user who no longer passes <see cref="AccessRules"/> or whose provider refused to
    /// renew their upstream token, or one an <see cref="IMcpUserStatus"/> turns away. The decision is remembered this long
    /// per user, and live sessions are checked this often; a change of configuration applies at once.
    /// </summary>
    public TimeSpan UserStatusInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Failed sign-ins allowed per user name within <see cref="FailedSignInWindow"/> (five times as many per client
    /// address); beyond that the login page answers 429 until the window ends. Default 10.
    /// </summary>
    public int MaxFailedSignIns { get; set; } = 10;

    /// <summary>The window of <see cref="MaxFailedSignIns"/>. Default 5 minutes.</summary>
    public TimeSpan FailedSignInWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Allowed clock skew when validating access tokens. Default 30 seconds.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Local users for the built-in login page. Passwords are stored as <c>PasswordHasher</c> hashes.</summary>
    public IList<McpOAuthUser> Users { get; } = [];

    /// <summary>
    /// A key that signs access tokens (asymmetric: ECDSA or RSA), used as is and never rotated. When null (the default),
    /// McpSseAuth keeps a key ring of <see cref="SigningAlgorithm"/> keys that rotates every
    /// <see cref="SigningKeyRotationPeriod"/>, kept in <see cref="KeyDirectory"/> across restarts.
    /// </summary>
    public SigningCredentials? SigningCredentials { get; set; }

    /// <summary>Folder where the key ring is kept (private keys as owner-only PEM files). Null keeps it in memory only.</summary>
    public string? KeyDirectory { get; set; }

    /// <summary>Algorithm of the keys McpSseAuth creates: <c>ES256</c> (the default, ECDSA P-256) or <c>RS256</c> (RSA 2048).</summary>
    public string SigningAlgorithm { get; set; } = "ES256";

    /// <summary>
    /// How long each created key signs before the next takes over (default 30 days). The next key is published in the JWKS
    /// ahead of use, so caches know it before it signs; a retired key stays published until every token it signed has
    /// expired, so no valid token breaks. At least 1 hour.
    /// </summary>
    public TimeSpan SigningKeyRotationPeriod { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// Remote authentication schemes users may sign in with, by scheme name: any scheme registered with
    /// <c>AddOpenIdConnect</c>, <c>AddGoogle</c>, <c>AddOAuth</c> (GitHub, ...) and the like. McpSseAuth takes over their
    /// sign-in: it sets their <c>SignInScheme</c> to <see cref="McpOAuthDefaults.ExternalCookieScheme"/> and
    /// <c>SaveTokens</c> to true, applies <see cref="AccessRules"/>, and keeps their tokens encrypted for tools.
    /// The login page offers each of them, besides the form for <see cref="Users"/> when there are any.
    /// </summary>
    public IList<string> SignInSchemes { get; } = [];

    /// <summary>
    /// The scheme a user is sent to straight away when they must sign in, skipping the login page: one of
    /// <see cref="SignInSchemes"/>. Null shows the login page, except when there are no local users and exactly one
    /// sign-in scheme, which is then used directly.
    /// </summary>
    public string? ChallengeScheme { get; set; }

    /// <summary>Who may sign in through <see cref="SignInSchemes"/>. Empty rules let every upstream user in.</summary>
    public McpOAuthAccessRules AccessRules { get; } = new();

    /// <summary>
    /// Claims of the signed-in user copied into access tokens, besides <c>sub</c> (multi-valued claims become arrays).
    /// Default <c>name</c> and <c>email</c>. Protocol claims (<c>iss</c>, <c>aud</c>, <c>scope</c>, ...) cannot be listed.
    /// </summary>
    public ISet<string> AccessTokenClaims { get; } = new HashSet<string>(StringComparer.Ordinal) { "name", "email" };

    /// <summary>
    /// A stored upstream access token is refreshed when it expires within this margin. Default 1 minute.
    /// </summary>
    public TimeSpan UpstreamTokenRefreshMargin { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Services whose API tokens users may store for themselves on the service-tokens page, for tools to use on
    /// their behalf (see <see cref="IMcpUserTokens"/>). Empty by default, which hides the page.
    /// </summary>
    public IList<McpServiceTokenDefinition> ServiceTokens { get; } = [];

    /// <summary>
    /// URI schemes allowed for redirect URIs besides https and loopback http, for native apps that use private-use schemes
    /// (RFC 8252 §7.1). Default: <c>cursor</c>, which Cursor registers together with its other redirect URIs (one refused
    /// URI refuses the registration). RFC 8252 asks for reverse-domain scheme names, which <c>cursor</c> is not; PKCE,
    /// required for every client, keeps a code sent to another app claiming the scheme useless. Remove it to refuse Cursor.
    /// </summary>
    public ISet<string> AllowedRedirectUriSchemes { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "cursor" };

    /// <summary>
    /// Upper bound on authorization flows in progress in the in-memory store: requests waiting for consent and codes not
    /// yet redeemed (each lives minutes). When reached, new authorization requests answer <c>temporarily_unavailable</c>
    /// instead of growing memory. Refresh tokens of existing grants do not count and are never refused. Default 100,000.
    /// </summary>
    public int MaxPendingAuthorizations { get; set; } = 100_000;

    /// <summary>Upper bound on dynamically registered clients held by the in-memory store. Default 10,000.</summary>
    public int MaxRegisteredClients { get; set; } = 10_000;

    /// <summary>
    /// Live stateful MCP sessions (SSE streams and Streamable HTTP sessions) one user may hold at once; a new one beyond
    /// it is refused with 429. Default 20.
    /// </summary>
    public int MaxSessionsPerUser { get; set; } = 20;

    /// <summary>Live stateful MCP sessions of this server at once; a new one beyond it is refused with 503. Default 10,000.</summary>
    public int MaxSessions { get; set; } = 10_000;

    /// <summary>
    /// JSON-RPC requests a legacy SSE session may have waiting for their answer (backpressure, which the SDK's SSE lacks):
    /// beyond it <c>POST /message</c> answers 429 with <c>Retry-After</c>, and nothing is dropped. Default 32.
    /// </summary>
    public int MaxSseRequestsInFlight { get; set; } = 32;

    /// <summary>
    /// An MCP session with no request for this long is ended (an SSE stream is closed; the SDK's own idle timeout also applies
    /// to Streamable sessions). Default 2 hours.
    /// </summary>
    public TimeSpan SessionIdleTimeout { get; set; } = TimeSpan.FromHours(2);

    /// <summary>Largest JSON-RPC message body accepted by the MCP endpoints; larger ones get 413. Default 4 MiB.</summary>
    public long MaxMessageBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>
    /// Allows an http issuer on a host that is not loopback. Only for development behind a trusted network:
    /// tokens and passwords then travel in clear text.
    /// </summary>
    public bool AllowInsecureHttp { get; set; }

    /// <summary>Path of the authorization endpoint.</summary>
    public PathString AuthorizationEndpointPath { get; set; } = "/oauth/authorize";

    /// <summary>Path of the token endpoint.</summary>
    public PathString TokenEndpointPath { get; set; } = "/oauth/token";

    /// <summary>Path of the token introspection endpoint (RFC 7662), for configured clients with <see cref="McpOAuthClient.AllowIntrospection"/>.</summary>
    public PathString IntrospectionEndpointPath { get; set; } = "/oauth/introspect";

    /// <summary>Path of the token revocation endpoint (RFC 7009).</summary>
    public PathString RevocationEndpointPath { get; set; } = "/oauth/revoke";

    /// <summary>Path of the dynamic client registration endpoint.</summary>
    public PathString RegistrationEndpointPath { get; set; } = "/oauth/register";

    /// <summary>Path of the JSON Web Key Set.</summary>
    public PathString JwksPath { get; set; } = "/oauth/jwks";

    /// <summary>Path of the built-in login page.</summary>
    public PathString LoginPath { get; set; } = "/oauth/login";

    /// <summary>Path the consent form posts to.</summary>
    public PathString ConsentPath { get; set; } = "/oauth/consent";

    /// <summary>Path that signs the user out of the authorization server.</summary>
    public PathString LogoutPath { get; set; } = "/oauth/logout";

    /// <summary>Path of the page where a signed-in user sees and revokes the applications they allowed.</summary>
    public PathString ConnectedAppsPath { get; set; } = "/oauth/apps";

    /// <summary>Path of the page where a signed-in user stores API tokens for <see cref="ServiceTokens"/>.</summary>
    public PathString ServiceTokensPath { get; set; } = "/oauth/tokens";

    /// <summary>Hooks into the authorization server's steps.</summary>
    public McpOAuthEvents Events { get; set; } = new();
}
