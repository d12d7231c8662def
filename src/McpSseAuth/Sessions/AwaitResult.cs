namespace McpSseAuth.Sessions;

/// <summary>What <see cref="SessionEntry.TryAwaitAnswer"/> made of a legacy SSE request.</summary>
internal enum AwaitResult
{
    Accepted,
    Duplicate,
    Full,
}
