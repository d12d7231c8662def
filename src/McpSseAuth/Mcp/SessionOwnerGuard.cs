using Microsoft.AspNetCore.Http;

namespace McpSseAuth.Mcp;

/// <summary>
/// A request that names a session must come from the session's user through the session's client (MCP security best
/// practices, "Session Hijacking"): 403 otherwise, and nothing reaches the session.
/// </summary>
internal sealed class SessionOwnerGuard(McpRefusals refusals)
{
    public async Task<bool> AdmitsAsync(HttpContext context, McpCaller caller, string ownerSubject, string ownerClientId)
    {
        if (caller.Owns(ownerSubject, ownerClientId))
        {
            return true;
        }

        await RefuseAsync(context);
        return false;
    }

    public Task RefuseAsync(HttpContext context)
        => refusals.RefuseAsync(context, StatusCodes.Status403Forbidden, "binding", "Forbidden: this session belongs to another user or another client.");
}
