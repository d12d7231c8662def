namespace McpSseAuth.EntityFrameworkCore;

/// <summary>Settings of the Entity Framework Core storage, given to <c>services.AddMcpOAuthEntityFrameworkCore&lt;TContext&gt;(o =&gt; ...)</c>.</summary>
public sealed class McpEntityFrameworkCoreOptions
{
    /// <summary>
    /// How often each instance deletes the rows that expired (default 10 minutes). Expired rows are never read as live, so
    /// this only bounds how large the table grows.
    /// </summary>
    public TimeSpan CleanupInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How often each instance reads the messages other instances sent it (default 250 ms): revocations that end sessions,
    /// legacy SSE messages handed to the instance holding the stream. Shorter reaches them sooner and costs a query each
    /// time. Null keeps messages in the process: one instance only.
    /// </summary>
    public TimeSpan? BusPollInterval { get; set; } = TimeSpan.FromMilliseconds(250);
}
