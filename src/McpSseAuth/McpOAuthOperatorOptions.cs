namespace McpSseAuth;

/// <summary>
/// The operator's view: pages (at <see cref="McpOAuthPathOptions.Operator"/>) and a JSON API (under it, at <c>/api</c>) where
/// the people who run the server see every user who signed in, their grants and live MCP sessions, the registered clients
/// with their last use, and revoke any grant, client or session, or remove a user. Off until <see cref="Access"/> names
/// who may use it.
/// </summary>
public sealed class McpOAuthOperatorOptions
{
    /// <summary>
    /// Who is an operator, by the same rules as <see cref="McpOAuthSignInOptions.AccessRules"/>: a local user by name in
    /// <see cref="McpOAuthAccessRules.AllowedUsers"/>, an upstream user by e-mail, domain, group or role. Empty by default,
    /// which leaves the operator's view off (its paths answer 404).
    /// </summary>
    public McpOAuthAccessRules Access { get; } = new();

    /// <summary>
    /// The authentication schemes of the host that authenticate callers of the JSON API, e.g. <c>JwtBearerDefaults.AuthenticationScheme</c>;
    /// the first that succeeds names the caller, who must pass <see cref="Access"/> too. Empty by default, which leaves the
    /// API off. McpSseAuth's sign-in cookie is not accepted: an API that a cookie opens is open to cross-site requests.
    /// </summary>
    public IList<string> ApiSchemes { get; } = [];
}
