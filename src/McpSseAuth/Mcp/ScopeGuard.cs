using McpSseAuth.Http;
using McpSseAuth.Resources;
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
internal sealed class ScopeGuard(ScopeRequirements scopes, ServerUris uris, ProtectedResources resources, McpRefusals refusals)
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

        var held = (context.User.FindFirst("scope")?.Value ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(s => s != McpOAuthDefaults.OfflineAccessScope);
        (AuthenticateChallenge.Bearer() with
        {
            Error = "insufficient_scope",
            Scope = string.Join(' ', held.Concat(missing).Distinct(StringComparer.Ordinal)),
            ResourceMetadata = ProtectedResourceMetadataPath.UriFor(context, uris, resources),
            ErrorDescription = "This request needs more scopes: authorize again with them",
        }).AppendTo(context.Response);
        context.Response.Headers.CacheControl = "no-store";
        await refusals.RefuseAsync(context, StatusCodes.Status403Forbidden, "insufficient_scope", $"Insufficient scope: this needs {string.Join(' ', missing)}.", id: message.RequestId ?? default);
        return false;
    }
}
