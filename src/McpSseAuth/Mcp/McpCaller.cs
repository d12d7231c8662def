using System.Security.Claims;
using McpSseAuth.Users;

namespace McpSseAuth.Mcp;

/// <summary>Who calls an MCP endpoint, as the bearer token says: the user, the client, the scopes granted. A value: kept in the frames of the request's guards, not on its own.</summary>
internal readonly record struct McpCaller(string Subject, string? ClientId, string? Scope)
{
    public static McpCaller From(ClaimsPrincipal user)
        => new(user.Identity?.IsAuthenticated == true ? SignedInUser.SubjectOf(user) ?? "" : "", user.FindFirst("client_id")?.Value, user.FindFirst("scope")?.Value);

    /// <summary>Whether a session of <paramref name="subject"/> opened through <paramref name="clientId"/> is the caller's.</summary>
    public bool Owns(string subject, string clientId)
        => string.Equals(Subject, subject, StringComparison.Ordinal) && string.Equals(ClientId, clientId, StringComparison.Ordinal);
}
