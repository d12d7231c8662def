namespace McpSseAuth;

/// <summary>The scopes this server knows, grants by default and requires per primitive: the <c>Scopes</c> section of the configuration.</summary>
public sealed class McpOAuthScopeOptions
{
    /// <summary>
    /// Scopes this server knows, with the words the consent page shows for each; <c>mcp:tools</c> by default. A list rather
    /// than a dictionary so that names with a colon bind from configuration (<c>Scopes:Supported:0:Name</c>). An entry
    /// whose name an earlier one has replaces its words.
    /// </summary>
    public IList<McpOAuthScope> Supported { get; } =
    [
        new() { Name = McpOAuthDefaults.DefaultScope, Description = "Use the tools, prompts and resources of this MCP server" },
    ];

    /// <summary>
    /// Scopes granted when the client asks for none; also the <c>scope</c> of 401 challenges and the protected resource
    /// metadata's <c>scopes_supported</c>. Each must be in <see cref="Supported"/>. Default <c>mcp:tools</c>.
    /// </summary>
    public IList<string> Default { get; } = [McpOAuthDefaults.DefaultScope];

    /// <summary>
    /// Scopes required per tool, prompt or resource, besides <see cref="McpRequiredScopesAttribute"/>; and whether lists
    /// leave out what the caller lacks the scopes for (by default they do not, so clients can step up).
    /// </summary>
    public McpRequiredScopes Required { get; } = new();

    /// <summary>Adds a scope to <see cref="Supported"/>, or gives a known one new words.</summary>
    /// <param name="name">The scope token, e.g. <c>files:write</c>.</param>
    /// <param name="description">The words the consent page shows for it.</param>
    /// <returns>These options, for chaining.</returns>
    public McpOAuthScopeOptions Add(string name, string description)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(description);
        Supported.Add(new McpOAuthScope { Name = name, Description = description });
        return this;
    }

    /// <summary>Whether the scope is in <see cref="Supported"/>.</summary>
    internal bool IsSupported(string scope) => Supported.Any(s => string.Equals(s.Name, scope, StringComparison.Ordinal));

    /// <summary>The names in <see cref="Supported"/>, each once, in order.</summary>
    internal IEnumerable<string> Names => Supported.Select(s => s.Name).Distinct(StringComparer.Ordinal);

    /// <summary>The words the consent and connected-apps pages show for a scope.</summary>
    internal string WordsFor(string scope)
        => Supported.LastOrDefault(s => string.Equals(s.Name, scope, StringComparison.Ordinal)) is { } known ? known.Description
            : scope == McpOAuthDefaults.OfflineAccessScope ? "Stay connected: keep access while you are away, until you revoke it"
            : scope;
}
