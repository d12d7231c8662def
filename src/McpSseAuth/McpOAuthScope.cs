namespace McpSseAuth;

/// <summary>A scope this server knows (an entry of <see cref="McpOAuthScopeOptions.Supported"/>).</summary>
public sealed class McpOAuthScope
{
    /// <summary>The scope token, e.g. <c>files:write</c> (RFC 6749 §3.3: printable ASCII without spaces, quotes or backslashes).</summary>
    public string Name { get; set; } = "";

    /// <summary>The words the consent and connected-apps pages show for it.</summary>
    public string Description { get; set; } = "";
}
