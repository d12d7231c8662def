namespace McpSseAuth.Mcp;

/// <summary>
/// What one MCP endpoint asks of every request beyond a valid token for it: users passing <see cref="Rules"/>, and a token
/// with all of <see cref="Scopes"/>. Endpoint metadata added by <c>RequireMcpAccessRules</c> / <c>RequireMcpScopes</c>;
/// several add up.
/// </summary>
/// <param name="Rules">Access rules, or null.</param>
/// <param name="Scopes">Scopes every request needs.</param>
internal sealed record EndpointRequirements(McpOAuthAccessRules? Rules, IReadOnlyList<string> Scopes);
