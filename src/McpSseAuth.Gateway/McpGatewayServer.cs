namespace McpSseAuth.Gateway;

/// <summary>
/// One MCP server behind the gateway, as a Claude Desktop / Claude Code / Cursor configuration describes it —
/// <see cref="Command"/>, <see cref="Args"/> and <see cref="Env"/> for a stdio server; <see cref="Url"/>,
/// <see cref="Headers"/> and <see cref="Type"/> for a remote one — and the gateway's settings for it. Values of
/// <see cref="Args"/>, <see cref="Env"/>, <see cref="Url"/> and <see cref="Headers"/> may name the user's values:
/// <c>{{token}}</c> (the user's stored token for <see cref="UserToken"/>), <c>{{user.sub}}</c>, <c>{{user.email}}</c>,
/// <c>{{user.name}}</c>, e.g. <c>"Authorization": "Bearer {{token}}"</c>.
/// </summary>
public sealed class McpGatewayServer
{
    /// <summary>The program of a stdio server, e.g. <c>npx</c>, found on the <c>PATH</c>.</summary>
    public string? Command { get; set; }

    /// <summary>Its arguments.</summary>
    public IList<string> Args { get; } = [];

    /// <summary>
    /// Its environment variables. The process gets these and a minimal set from the gateway's own environment
    /// (<c>PATH</c>, <c>HOME</c> and the like), never the rest of it, which may hold other servers' secrets.
    /// </summary>
    public IDictionary<string, string> Env { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Its working directory; default the gateway's.</summary>
    public string? Cwd { get; set; }

    /// <summary>
    /// How to reach it: <c>stdio</c>, <c>sse</c> (legacy HTTP+SSE) or <c>http</c> (Streamable HTTP; also
    /// <c>streamable-http</c>, <c>streamableHttp</c>). Default <c>stdio</c> with a <see cref="Command"/>, otherwise
    /// Streamable HTTP falling back to SSE.
    /// </summary>
    public string? Type { get; set; }

    /// <summary>The URL of a remote server.</summary>
    public Uri? Url { get; set; }

    /// <summary>HTTP headers sent to a remote server, e.g. an API key. The caller's own token and cookies are never sent.</summary>
    public IDictionary<string, string> Headers { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Whether the gateway leaves this server out. Default false.</summary>
    public bool Disabled { get; set; }

    /// <summary>Its Streamable HTTP path. Default <c>/{name}/mcp</c>.</summary>
    public string? StreamablePath { get; set; }

    /// <summary>Its legacy SSE path, ending in <c>/sse</c>. Default <c>/{name}/sse</c>; empty maps none.</summary>
    public string? SsePath { get; set; }

    /// <summary>Who may use it, on top of who may sign in; none set lets every signed-in user in.</summary>
    public McpOAuthAccessRules AccessRules { get; } = new();

    /// <summary>Scopes a token must carry to use it; each is added to the server's scopes if not configured there.</summary>
    public IList<string> RequiredScopes { get; } = [];

    /// <summary>Which of its tools are offered: applied to lists and calls, on its own paths and in the aggregate.</summary>
    public McpGatewayToolFilter Tools { get; } = new();

    /// <summary>A token each user stores for this server (on the service-tokens page), used through <c>{{token}}</c>.</summary>
    public McpGatewayUserToken? UserToken { get; set; }

    /// <summary>
    /// Whose connection a session uses. Default: for a stdio server one process per user (<see cref="McpGatewayIsolation.PerUser"/>);
    /// for a remote server one connection per session (<see cref="McpGatewayIsolation.PerSession"/>).
    /// </summary>
    public McpGatewayIsolation? Isolation { get; set; }

    /// <summary>Whether the aggregated endpoint includes it. Default true.</summary>
    public bool Aggregate { get; set; } = true;

    /// <summary>
    /// How long a request may go without an answer or a progress notification from the server before it is cancelled.
    /// Default 5 minutes; a long call that reports progress is never cut.
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>Which tools of a server are offered (<see cref="McpGatewayServer.Tools"/>): names, or prefixes ending in <c>*</c>.</summary>
public sealed class McpGatewayToolFilter
{
    /// <summary>When set, only these tools.</summary>
    public IList<string> Allow { get; } = [];

    /// <summary>Never these tools.</summary>
    public IList<string> Block { get; } = [];
}

/// <summary>A token each user stores for a server (<see cref="McpGatewayServer.UserToken"/>).</summary>
public sealed class McpGatewayUserToken
{
    /// <summary>The service name the token is stored under; default the server's name. Servers naming the same service share the token.</summary>
    public string? Service { get; set; }

    /// <summary>The name shown on the page; default the server's name.</summary>
    public string? DisplayName { get; set; }

    /// <summary>What the token is and where to get one, shown on the page.</summary>
    public string? Description { get; set; }

    /// <summary>A .NET regular expression the whole token must match, checked before it is stored (e.g. <c>ghp_[A-Za-z0-9]{36}</c>).</summary>
    public string? Format { get; set; }

    /// <summary>Where users get a token, linked from the page.</summary>
    public Uri? HelpUrl { get; set; }

    /// <summary>
    /// An OAuth or OpenID Connect scheme the app registered for the service (e.g. <c>AddOAuth("linear", o => ...)</c>):
    /// users connect their account on the page instead of pasting a token, and <c>{{token}}</c> is its access token,
    /// refreshed before it expires (<see cref="McpServiceTokenDefinition.ConnectScheme"/>).
    /// </summary>
    public string? ConnectScheme { get; set; }
}

/// <summary>Whose connection to a server a session uses (<see cref="McpGatewayServer.Isolation"/>).</summary>
public enum McpGatewayIsolation
{
    /// <summary>One per user, shared by the user's sessions; never shared between users.</summary>
    PerUser,

    /// <summary>One per session, for servers that keep state per session.</summary>
    PerSession,
}
