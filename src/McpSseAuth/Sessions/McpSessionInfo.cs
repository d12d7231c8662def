namespace McpSseAuth;

/// <summary>How an MCP session is carried.</summary>
public enum McpSessionTransport
{
    /// <summary>Streamable HTTP with an <c>Mcp-Session-Id</c>.</summary>
    StreamableHttp,

    /// <summary>Legacy HTTP+SSE: a <c>GET /sse</c> stream and <c>POST /message</c>.</summary>
    Sse,
}

/// <summary>A live MCP session as McpSseAuth tracks it: who, through which client and grant, since when.</summary>
/// <param name="SessionId">The SDK's session id.</param>
/// <param name="Transport">Streamable HTTP or legacy SSE.</param>
/// <param name="Subject">The user (<c>sub</c>).</param>
/// <param name="ClientId">The OAuth client whose token opened it.</param>
/// <param name="GrantId">The grant its token belongs to; revoking the grant ends the session.</param>
/// <param name="Scopes">The scopes of the token that opened it.</param>
/// <param name="CreatedAt">When it started.</param>
public sealed record McpSessionInfo(
    string SessionId,
    McpSessionTransport Transport,
    string Subject,
    string ClientId,
    string? GrantId,
    IReadOnlyList<string> Scopes,
    DateTimeOffset CreatedAt)
{
    /// <summary>When a request last named the session (its start, if none did since); idle sessions end after <see cref="McpOAuthSessionOptions.IdleTimeout"/>.</summary>
    public DateTimeOffset LastActivityAt { get; init; } = CreatedAt;

    /// <summary>Requests received and not yet answered, counted on legacy SSE (bounded by <see cref="McpOAuthSessionOptions.MaxSseRequestsInFlight"/>); 0 on Streamable HTTP, where each answer rides its own request.</summary>
    public int RequestsInFlight { get; init; }
}

/// <summary>
/// The live MCP sessions of this server, for administration and for the user's own pages: list a user's sessions, end one
/// or all of them. Ending a session closes its SSE stream or Streamable HTTP session at once.
/// </summary>
public interface IMcpSessions
{
    /// <summary>The user's live sessions.</summary>
    /// <param name="subject">The user's <c>sub</c>.</param>
    /// <returns>The sessions, oldest first.</returns>
    IReadOnlyList<McpSessionInfo> ListForUser(string subject);

    /// <summary>Ends one session.</summary>
    /// <param name="sessionId">The session id.</param>
    /// <returns>True when a live session was ended.</returns>
    bool EndSession(string sessionId);

    /// <summary>Ends every session of a user.</summary>
    /// <param name="subject">The user's <c>sub</c>.</param>
    /// <returns>How many sessions were ended.</returns>
    int EndForUser(string subject);
}
