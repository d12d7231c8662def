namespace McpSseAuth.Sessions;

/// <summary>What a <see cref="StreamFrame"/> carries.</summary>
internal enum StreamFrameKind
{
    /// <summary>A Streamable HTTP request for the holder's session (sender → holder).</summary>
    Request,

    /// <summary>The response's status and headers (holder → sender), with the first piece of its body when there is one.</summary>
    Head,

    /// <summary>A piece of the response's body, numbered from 0 (holder → sender).</summary>
    Chunk,

    /// <summary>The response is complete (holder → sender).</summary>
    End,

    /// <summary>The client went away: stop serving it (sender → holder).</summary>
    Abort,

    /// <summary>The holder still serves the request, with nothing to send (holder → sender).</summary>
    Ping,
}

/// <summary>
/// One frame of a Streamable HTTP request relayed to the instance holding its session, or of its response coming back
/// (<see cref="StreamableRelay"/>). Never an access token or a cookie: the sender checked the caller; the holder serves the
/// session's own user with the <see cref="Scope"/> of the caller's token.
/// </summary>
internal sealed class StreamFrame
{
    public required string Id { get; init; }
    public required StreamFrameKind Kind { get; init; }
    public string? ReplyTo { get; init; }
    public string? SessionId { get; init; }
    public string? Method { get; init; }
    public string? Path { get; init; }
    public string? Scope { get; init; }
    public Dictionary<string, string[]>? Headers { get; init; }
    public int Status { get; init; }
    public long Seq { get; init; }
    public byte[]? Body { get; init; }

    /// <summary>The response is complete with this frame (a head or a chunk): no <see cref="StreamFrameKind.End"/> follows.</summary>
    public bool Last { get; init; }
}
