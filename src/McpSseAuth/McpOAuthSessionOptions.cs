namespace McpSseAuth;

/// <summary>Bounds on live MCP sessions and their messages: the <c>Sessions</c> section of the configuration.</summary>
public sealed class McpOAuthSessionOptions
{
    /// <summary>
    /// Live stateful MCP sessions (SSE streams and Streamable HTTP sessions) one user may hold at once, on all instances
    /// that share the storage; a new one beyond it is refused with 429. Default 20.
    /// </summary>
    public int MaxPerUser { get; set; } = 20;

    /// <summary>
    /// Live stateful MCP sessions of the server at once — all instances that share the storage, counted from their
    /// session listings (sessions opening at the very same moment can overshoot it by their number); a new one beyond it
    /// is refused with 503. Default 10,000.
    /// </summary>
    public int MaxTotal { get; set; } = 10_000;

    /// <summary>
    /// JSON-RPC requests a legacy SSE session may have waiting for their answer (backpressure, which the SDK's SSE lacks):
    /// beyond it <c>POST /message</c> answers 429 with <c>Retry-After</c>, and nothing is dropped. Default 32.
    /// </summary>
    public int MaxSseRequestsInFlight { get; set; } = 32;

    /// <summary>
    /// An MCP session with no request for this long is ended (an SSE stream is closed; the SDK's own idle timeout also applies
    /// to Streamable sessions). Default 2 hours; 1 second to 30 days.
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromHours(2);

    /// <summary>Largest JSON-RPC message body accepted by the MCP endpoints; larger ones get 413. Default 4 MiB.</summary>
    public long MaxMessageBytes { get; set; } = 4 * 1024 * 1024;
}
