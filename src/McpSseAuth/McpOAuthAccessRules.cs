using System.Security.Claims;

namespace McpSseAuth;

/// <summary>
/// Who may sign in through <see cref="McpOAuthSignInOptions.Schemes"/>. The identity lists (<see cref="AllowedEmailDomains"/>,
/// <see cref="AllowedHostedDomains"/>, <see cref="AllowedUsers"/>) are alternatives: when any of them is set, the user must
/// match at least one. <see cref="RequiredGroups"/> and <see cref="RequiredRoles"/> apply on top: the user must hold at
/// least one of each list that is set. Local users (<see cref="McpOAuthOptions.Users"/>) are configured one by one and are
/// not subject to these rules. For anything else, use <see cref="McpOAuthEvents.OnSigningIn"/>.
/// </summary>
public sealed class McpOAuthAccessRules
{
    /// <summary>E-mail domains allowed in, e.g. <c>example.com</c> (exact match, case-insensitive; no subdomains).</summary>
    public ISet<string> AllowedEmailDomains { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Google Workspace domains allowed in, matched against the <c>hd</c> claim, counted only from the issuers in
    /// <see cref="HostedDomainIssuers"/>.
    /// </summary>
    public ISet<string> AllowedHostedDomains { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Upstream issuers whose <c>hd</c> claim is trusted. Default Google's, <c>https://accounts.google.com</c>, which signs it;
    /// from another provider it may be a value the user chose.
    /// </summary>
    public ISet<string> HostedDomainIssuers { get; } = new HashSet<string>(StringComparer.Ordinal) { "https://accounts.google.com" };

    /// <summary>Users allowed in: an e-mail address (case-insensitive), or the upstream subject as <c>issuer|sub</c> (exact).</summary>
    public ISet<string> AllowedUsers { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Groups of which the user must be in at least one (values of <see cref="GroupClaimTypes"/>, exact match).</summary>
    public ISet<string> RequiredGroups { get; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Roles of which the user must hold at least one (values of <see cref="RoleClaimTypes"/>, exact match).</summary>
    public ISet<string> RequiredRoles { get; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>
    /// Whether e-mail rules only count an address the provider says is verified (<c>email_verified</c> true). Default true:
    /// many providers let users type any address. Set false only for a provider that verifies every address it returns.
    /// </summary>
    public bool RequireVerifiedEmail { get; set; } = true;

    /// <summary>Claim types read as groups. Default <c>groups</c> and <c>group</c>.</summary>
    public IList<string> GroupClaimTypes { get; } = ["groups", "group"];

    /// <summary>Claim types read as roles. Default <c>roles</c>, <c>role</c> and <see cref="ClaimTypes.Role"/>.</summary>
    public IList<string> RoleClaimTypes { get; } = ["roles", "role", ClaimTypes.Role];

    /// <summary>True when any rule is set.</summary>
    public bool HasRules => AllowedEmailDomains.Count + AllowedHostedDomains.Count + AllowedUsers.Count + RequiredGroups.Count + RequiredRoles.Count > 0;
}

/// <summary>A service whose API token users may store for tools to use on their behalf.</summary>
public sealed class McpServiceTokenDefinition
{
    /// <summary>The name tools ask for, e.g. <c>github</c>: letters, digits, <c>-</c>, <c>_</c> and <c>.</c>.</summary>
    public string Name { get; set; } = "";

    /// <summary>The name shown on the page.</summary>
    public string DisplayName { get; set; } = "";

    /// <summary>What the token is used for, shown on the page.</summary>
    public string? Description { get; set; }

    /// <summary>
    /// A .NET regular expression the whole token must match, e.g. <c>(ghp_[A-Za-z0-9]{36}|github_pat_\w{82})</c>; a token
    /// that does not is refused with words saying so, before it is stored. Null accepts any printable token.
    /// </summary>
    public string? Format { get; set; }

    /// <summary>Where users get a token, linked from the page (absolute http or https).</summary>
    public Uri? HelpUrl { get; set; }

    /// <summary>
    /// The name of an OAuth or OpenID Connect authentication scheme the app registered for this service (e.g.
    /// <c>AddOAuth("linear", o => ...)</c>): users then connect their account on the page (the code flow, through
    /// ASP.NET Core's handler) instead of pasting a token, and <see cref="IMcpUserTokens.GetServiceTokenAsync"/> gives its
    /// current access token, refreshed before it expires. A connection the provider will no longer refresh is marked on
    /// the page, for the user to connect again. Null: users paste a token.
    /// </summary>
    public string? ConnectScheme { get; set; }
}
