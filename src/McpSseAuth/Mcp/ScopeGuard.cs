using McpSseAuth.Scopes;
using Microsoft.AspNetCore.Http;
using ModelContextProtocol.Protocol;

namespace McpSseAuth.Mcp;

/// <summary>
/// A call of a tool, prompt or resource whose scopes the token lacks gets 403 with an RFC 6750 §3.1
/// <c>insufficient_scope</c> challenge naming every scope needed (the token's and the missing ones), so the client
/// authorizes again with them (step-up, MCP authorization "Scope Challenge Handling"). The body is read only when something
/// requires a scope.
/// </summary>
internal sealed class ScopeGuard(ScopeRequirements scopes, InsufficientScope refusal)
{
    public async Task<bool> AdmitsAsync(HttpContext context, Func<Task<McpMessage?>> readMessage)
    {
        if (!scopes.Any || !HttpMethods.IsPost(context.Request.Method) || await readMessage() is not { Method: { } method } message)
        {
            return true;   // nothing requires a scope, or not a request: the SDK answers malformed messages itself
        }

        var target = message.Parameter(method == RequestMethods.ResourcesRead ? "uri" : "name");
        var missing = ScopeRequirements.Missing(context.User, scopes.For(method, target));
        if (missing.Length == 0)
        {
            return true;
        }

        await refusal.RefuseAsync(context, missing, endpointWide: false, message.RequestId ?? default);
        return false;
    }
}
