namespace McpSseAuth.Sessions;

/// <summary>The instance holding a session (a legacy SSE stream, or a Streamable HTTP session in its SDK), and whose session it is (user and client).</summary>
internal sealed record SessionHolder(string Instance, string Subject, string ClientId, McpSessionTransport Transport = McpSessionTransport.Sse);
