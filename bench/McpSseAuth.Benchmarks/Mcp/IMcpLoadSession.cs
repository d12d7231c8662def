namespace McpSseAuth.Benchmarks.Mcp;

/// <summary>One MCP session of a virtual user: connect (initialize), then call tools one at a time.</summary>
internal interface IMcpLoadSession : IAsyncDisposable
{
    /// <summary>Opens the session: <c>initialize</c>, then <c>notifications/initialized</c>.</summary>
    Task ConnectAsync(CancellationToken cancellationToken);

    /// <summary>Calls the <c>echo</c> tool and waits for its successful answer; throws on anything else.</summary>
    Task CallAsync(CancellationToken cancellationToken);

    public static IMcpLoadSession Create(McpTransport transport, McpEndpoint endpoint, HttpClient http) => transport switch
    {
        McpTransport.StreamableHttp => new StreamableHttpSession(endpoint, http),
        McpTransport.Sse => new SseSession(endpoint, http),
        _ => throw new ArgumentOutOfRangeException(nameof(transport)),
    };
}
