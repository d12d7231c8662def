using System.Collections.Concurrent;

namespace McpSseAuth.Gateway.Backends;

/// <summary>How each server's last start or connection went, for the health checks: when, and whether it worked.</summary>
internal sealed class BackendHealth(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Outcome> _last = new(StringComparer.OrdinalIgnoreCase);

    public void Connected(string backend) => _last[backend] = new Outcome(time.GetUtcNow(), null);

    public void Failed(string backend, string reason) => _last[backend] = new Outcome(time.GetUtcNow(), reason);

    public Outcome? Last(string backend) => _last.TryGetValue(backend, out var outcome) ? outcome : null;

    /// <summary>A connection attempt: when, and why it failed (null when it worked).</summary>
    /// <param name="At">When.</param>
    /// <param name="Failure">The user-facing reason it failed, or null.</param>
    internal sealed record Outcome(DateTimeOffset At, string? Failure);
}
