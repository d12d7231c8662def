using System.Collections.Concurrent;

namespace McpSseAuth.Gateway.Hosting;

/// <summary>
/// Sessions McpSseAuth ended itself (access revoked, the user removed, ended by the host), heard through
/// <see cref="McpOAuthEvents.OnSessionEnded"/> just before the gateway lets the session go: their servers' processes stop
/// at once when no other session uses them, rather than after the idle timeout.
/// </summary>
internal sealed class SessionEnds
{
    private readonly ConcurrentDictionary<string, McpSessionEndReason> _ended = new(StringComparer.Ordinal);

    public Task OnSessionEndedAsync(McpSessionEventContext context)
    {
        if (context.EndReason is McpSessionEndReason.Revoked or McpSessionEndReason.Ended)
        {
            _ended[context.Session.SessionId] = context.EndReason.Value;
        }

        return Task.CompletedTask;
    }

    /// <summary>Whether McpSseAuth ended the session for its access (forgotten once asked).</summary>
    public bool TakeAccessEnded(string? sessionId) => sessionId is not null && _ended.TryRemove(sessionId, out _);
}
