using McpSseAuth.Sessions;
using Microsoft.AspNetCore.Http;

namespace McpSseAuth.Mcp;

/// <summary>
/// A named session as the guards see it: live (its end, and touched as used) or ended (404, so the client starts a new
/// session instead of retrying the old one).
/// </summary>
internal sealed class LiveSessions(McpSessionRegistry registry, McpRefusals refusals)
{
    /// <summary>The session's end, and the session touched as used; false when it has ended (answer <see cref="RefuseEndedAsync"/>).</summary>
    public bool TryTouch(SessionEntry entry, out CancellationToken sessionEnd)
    {
        try
        {
            sessionEnd = entry.End.Token;
        }
        catch (ObjectDisposedException)
        {
            sessionEnd = new CancellationToken(canceled: true);
        }

        if (sessionEnd.IsCancellationRequested)
        {
            return false;
        }

        registry.Touch(entry);
        return true;
    }

    public Task RefuseEndedAsync(HttpContext context)
        => refusals.RefuseAsync(context, StatusCodes.Status404NotFound, "ended", "Session not found: it was ended. Start a new session.");
}
