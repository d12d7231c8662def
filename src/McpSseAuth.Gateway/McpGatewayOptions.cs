namespace McpSseAuth.Gateway;

/// <summary>
/// The gateway: the MCP servers it fronts, each under its own paths with its own audience, and the aggregated endpoint
/// that serves them all behind one login. Bind <see cref="McpServers"/> from the <c>mcpServers</c> block of a Claude
/// Desktop, Claude Code or Cursor configuration as it is; the gateway's own settings for a server sit beside
/// <c>command</c>/<c>url</c> in its entry.
/// </summary>
public sealed class McpGatewayOptions
{
    /// <summary>The MCP servers behind the gateway by name: letters, digits, <c>-</c> and <c>_</c>; the name is in their paths.</summary>
    public IDictionary<string, McpGatewayServer> McpServers { get; } = new Dictionary<string, McpGatewayServer>(StringComparer.OrdinalIgnoreCase);

    /// <summary>The aggregated endpoint: every server the user may use, behind one login.</summary>
    public McpGatewayAggregateOptions Aggregate { get; } = new();

    /// <summary>Limits on the processes of stdio servers.</summary>
    public McpGatewayProcessOptions Processes { get; } = new();
}

/// <summary>The aggregated endpoint (<see cref="McpGatewayOptions.Aggregate"/>).</summary>
public sealed class McpGatewayAggregateOptions
{
    /// <summary>Whether to map it. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Its Streamable HTTP path. Default <c>/mcp</c>.</summary>
    public string StreamablePath { get; set; } = "/mcp";

    /// <summary>Its legacy SSE path, ending in <c>/sse</c> (messages are posted beside it, to <c>/message</c>); null for none. Default <c>/sse</c>.</summary>
    public string? SsePath { get; set; } = "/sse";

    /// <summary>
    /// What joins a server's name and a tool's or prompt's name there, e.g. <c>github__create_issue</c>. Default <c>__</c>.
    /// Resource URIs keep their own form.
    /// </summary>
    public string Separator { get; set; } = "__";
}

/// <summary>Limits on stdio servers' processes (<see cref="McpGatewayOptions.Processes"/>).</summary>
public sealed class McpGatewayProcessOptions
{
    /// <summary>Processes one user may have running at once, over all stdio servers. Default 10.</summary>
    public int MaxPerUser { get; set; } = 10;

    /// <summary>How long a process nobody uses keeps running; a session that holds a stream open counts as use. Default 15 minutes.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long a process has to answer <c>initialize</c> after it starts. Default 60 seconds.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a process has to exit after its input closes, before it is killed. Default 5 seconds.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
