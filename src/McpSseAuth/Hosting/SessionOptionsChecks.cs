namespace McpSseAuth.Hosting;

/// <summary>The <c>Sessions</c> group: the caps on MCP sessions and messages, and their idle time.</summary>
internal static class SessionOptionsChecks
{
    public static void Check(McpOAuthSessionOptions sessions, List<string> failures)
    {
        if (sessions.MaxPerUser <= 0 || sessions.MaxTotal <= 0 || sessions.MaxSseRequestsInFlight <= 0 || sessions.MaxMessageBytes <= 0)
        {
            failures.Add("McpOAuthOptions.Sessions.MaxPerUser, MaxTotal, MaxSseRequestsInFlight and MaxMessageBytes must be positive (defaults: 20, 10,000, 32, 4 MiB).");
        }

        if (sessions.IdleTimeout < TimeSpan.FromSeconds(1) || sessions.IdleTimeout > TimeSpan.FromDays(30))
        {
            failures.Add($"McpOAuthOptions.Sessions.IdleTimeout is {sessions.IdleTimeout}: use 1 second up to 30 days (default 2 hours).");
        }
    }
}
