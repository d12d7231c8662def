namespace McpSseAuth.Hosting;

/// <summary>The caps on MCP sessions, messages and authorization requests in progress.</summary>
internal static class LimitOptionsChecks
{
    public static void Check(McpOAuthOptions options, List<string> failures)
    {
        if (options.MaxSessionsPerUser <= 0 || options.MaxSessions <= 0 || options.MaxSseRequestsInFlight <= 0 || options.MaxMessageBytes <= 0)
        {
            failures.Add("McpOAuthOptions.MaxSessionsPerUser, MaxSessions, MaxSseRequestsInFlight and MaxMessageBytes must be positive (defaults: 20, 10,000, 32, 4 MiB).");
        }

        if (options.MaxPendingAuthorizations <= 0)
        {
            failures.Add("McpOAuthOptions.MaxPendingAuthorizations must be positive.");
        }
    }
}
