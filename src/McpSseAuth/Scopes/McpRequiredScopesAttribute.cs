namespace McpSseAuth;

/// <summary>
/// Scopes an access token must carry to call this MCP tool, get this prompt or read this resource (all of them; several
/// attributes add up, and one on the class applies to each of its methods). A call whose token lacks one gets HTTP 403
/// <c>WWW-Authenticate: Bearer error="insufficient_scope", scope="..."</c>, so the client asks the user for more (step-up).
/// Each scope must be in <see cref="McpOAuthOptions.Scopes"/>, with the words the consent page shows.
/// </summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class, AllowMultiple = true, Inherited = true)]
public sealed class McpRequiredScopesAttribute : Attribute
{
    /// <summary>Requires <paramref name="scopes"/>.</summary>
    /// <param name="scopes">The scopes, each a scope token.</param>
    public McpRequiredScopesAttribute(params string[] scopes) => Scopes = scopes ?? [];

    /// <summary>The scopes required.</summary>
    public IReadOnlyList<string> Scopes { get; }
}

/// <summary>
/// Scopes required per MCP tool, prompt or resource, for primitives you cannot put <see cref="McpRequiredScopesAttribute"/>
/// on (created from delegates, or from another library). Adds to what attributes require.
/// </summary>
public sealed class McpRequiredScopes
{
    internal Dictionary<string, HashSet<string>> Tools { get; } = new(StringComparer.Ordinal);

    internal Dictionary<string, HashSet<string>> Prompts { get; } = new(StringComparer.Ordinal);

    // Resource URIs compare ignoring case, as the SDK matches them.
    internal Dictionary<string, HashSet<string>> Resources { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Whether <c>tools/list</c>, <c>prompts/list</c> and <c>resources/list</c> leave out what the caller's token lacks the
    /// scopes for. Default false: they stay listed, so clients see them and step up when they call them.
    /// </summary>
    public bool HideFromListsWithoutScope { get; set; }

    /// <summary>Requires <paramref name="scopes"/> to call the tool named <paramref name="name"/>.</summary>
    /// <param name="name">The tool's name.</param>
    /// <param name="scopes">The scopes.</param>
    /// <returns>This, for chaining.</returns>
    public McpRequiredScopes Tool(string name, params string[] scopes) => Add(Tools, name, scopes);

    /// <summary>Requires <paramref name="scopes"/> to get the prompt named <paramref name="name"/>.</summary>
    /// <param name="name">The prompt's name.</param>
    /// <param name="scopes">The scopes.</param>
    /// <returns>This, for chaining.</returns>
    public McpRequiredScopes Prompt(string name, params string[] scopes) => Add(Prompts, name, scopes);

    /// <summary>
    /// Requires <paramref name="scopes"/> to read the resource declared with <paramref name="uri"/> (its URI, or its URI
    /// template: then every URI the template matches), in any spelling the SDK accepts.
    /// </summary>
    /// <param name="uri">The resource's URI or URI template, as declared.</param>
    /// <param name="scopes">The scopes.</param>
    /// <returns>This, for chaining.</returns>
    public McpRequiredScopes Resource(string uri, params string[] scopes) => Add(Resources, uri, scopes);

    private McpRequiredScopes Add(Dictionary<string, HashSet<string>> map, string key, string[] scopes)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(scopes);
        if (!map.TryGetValue(key, out var set))
        {
            map[key] = set = new HashSet<string>(StringComparer.Ordinal);
        }

        set.UnionWith(scopes);
        return this;
    }
}
