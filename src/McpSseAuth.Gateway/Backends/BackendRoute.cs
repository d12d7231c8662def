namespace McpSseAuth.Gateway.Backends;

/// <summary>How the gateway reaches a server.</summary>
internal enum BackendKind
{
    /// <summary>A process started by the gateway, spoken to over its standard input and output.</summary>
    Stdio,

    /// <summary>A remote server over legacy HTTP+SSE.</summary>
    Sse,

    /// <summary>A remote server over Streamable HTTP.</summary>
    StreamableHttp,

    /// <summary>A remote server over Streamable HTTP, or legacy SSE when it answers that way.</summary>
    AutoDetect,
}

/// <summary>A server behind the gateway as configured and checked at startup: its name, how to reach it, its paths.</summary>
/// <param name="Name">Its name in <see cref="McpGatewayOptions.McpServers"/>.</param>
/// <param name="Server">Its settings.</param>
/// <param name="Kind">How to reach it.</param>
/// <param name="Isolation">Whose connection a session uses.</param>
/// <param name="StreamablePath">Its Streamable HTTP path.</param>
/// <param name="SsePath">Its legacy SSE path, or null.</param>
internal sealed record BackendRoute(string Name, McpGatewayServer Server, BackendKind Kind, McpGatewayIsolation Isolation, string StreamablePath, string? SsePath)
{
    public static BackendKind KindOf(McpGatewayServer server) => server.Type?.Trim().ToLowerInvariant() switch
    {
        "stdio" => BackendKind.Stdio,
        "sse" => BackendKind.Sse,
        "http" or "streamable-http" or "streamablehttp" or "streamable_http" => BackendKind.StreamableHttp,
        null or "" => server.Command is { Length: > 0 } ? BackendKind.Stdio : BackendKind.AutoDetect,
        _ => throw new ArgumentException($"Unknown server type '{server.Type}'."),
    };

    public static bool IsKnownType(string? type)
        => type is null || type.Trim().ToLowerInvariant() is "" or "stdio" or "sse" or "http" or "streamable-http" or "streamablehttp" or "streamable_http";

    public static BackendRoute From(string name, McpGatewayServer server)
    {
        var kind = KindOf(server);
        var sse = server.SsePath is null ? $"/{name}/sse" : server.SsePath.Length == 0 ? null : server.SsePath;
        return new BackendRoute(
            name,
            server,
            kind,
            server.Isolation ?? (kind == BackendKind.Stdio ? McpGatewayIsolation.PerUser : McpGatewayIsolation.PerSession),
            server.StreamablePath ?? $"/{name}/mcp",
            sse);
    }

    /// <summary>Whether the tool filter offers the tool.</summary>
    public bool Offers(string tool)
    {
        var filter = Server.Tools;
        return (filter.Allow.Count == 0 || filter.Allow.Any(p => Matches(p, tool))) && !filter.Block.Any(p => Matches(p, tool));
    }

    private static bool Matches(string pattern, string name)
        => pattern.EndsWith('*') ? name.StartsWith(pattern[..^1], StringComparison.Ordinal) : string.Equals(pattern, name, StringComparison.Ordinal);
}
