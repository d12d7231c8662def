namespace McpSseAuth.Sessions;

/// <summary>The instance holding a legacy SSE session's stream, and whose session it is (user and client).</summary>
internal sealed record SseHolder(string Instance, string Subject, string ClientId);
