using McpSseAuth;
using McpSseAuth.Mcp;

namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// Requirements of one set of MCP endpoints beyond a valid token for them, for a server whose endpoints are not all for
/// everyone: <c>app.MapMcpSse("/finance/mcp", "/finance/sse").RequireMcpAccessRules(rules).RequireMcpScopes("finance")</c>.
/// Checked on every request to those endpoints, before the MCP server sees it.
/// </summary>
public static class McpEndpointRequirementsExtensions
{
    /// <summary>
    /// Lets only users who pass <paramref name="rules"/> use the endpoints (on top of the server's sign-in rules); others
    /// get 403 with a JSON-RPC error saying why. How users are matched: <see cref="IMcpAccessRules"/>.
    /// </summary>
    /// <typeparam name="TBuilder">The builder <c>MapMcpSse</c> returned.</typeparam>
    /// <param name="builder">The endpoints.</param>
    /// <param name="rules">The rules; read on each request, so later changes to the object apply.</param>
    /// <returns>The builder.</returns>
    public static TBuilder RequireMcpAccessRules<TBuilder>(this TBuilder builder, McpOAuthAccessRules rules)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(rules);
        builder.WithMetadata(new EndpointRequirements(rules, []));
        return builder;
    }

    /// <summary>
    /// Requires every token used on the endpoints to carry <paramref name="scopes"/>: they are published in the endpoints'
    /// protected resource metadata and named in their 401 challenge, and a token without them gets 403
    /// <c>insufficient_scope</c>, so the client asks the user for them (step-up). Each scope must be in
    /// <see cref="McpOAuthOptions.Scopes"/>, with the words the consent page shows.
    /// </summary>
    /// <typeparam name="TBuilder">The builder <c>MapMcpSse</c> returned.</typeparam>
    /// <param name="builder">The endpoints.</param>
    /// <param name="scopes">The scopes.</param>
    /// <returns>The builder.</returns>
    public static TBuilder RequireMcpScopes<TBuilder>(this TBuilder builder, params string[] scopes)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(scopes);
        if (scopes.Any(string.IsNullOrWhiteSpace))
        {
            throw new ArgumentException("A scope cannot be empty.", nameof(scopes));
        }

        builder.WithMetadata(new EndpointRequirements(null, [.. scopes]));
        return builder;
    }
}
