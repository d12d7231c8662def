namespace McpSseAuth.Tests.Infrastructure;

/// <summary>Sessions are listed when their run starts and leave when it ends, a moment after the HTTP exchange that caused it.</summary>
public static class SessionWaits
{
    /// <summary>The user's sessions once there are exactly <paramref name="count"/> (waiting up to 5 seconds); the last list otherwise.</summary>
    public static async Task<IReadOnlyList<McpSessionInfo>> WaitForCountAsync(this IMcpSessions sessions, string subject, int count)
    {
        var listed = sessions.ListForUser(subject);
        for (var i = 0; i < 100 && listed.Count != count; i++)
        {
            await Task.Delay(50);
            listed = sessions.ListForUser(subject);
        }

        return listed;
    }
}
