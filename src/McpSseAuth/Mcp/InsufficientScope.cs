using McpSseAuth.Http;
using McpSseAuth.Resources;
using Microsoft.AspNetCore.Http;
using ModelContextProtocol.Protocol;

namespace McpSseAuth.Mcp;

/// <summary>
/// The step-up answer (MCP authorization "Scope Challenge Handling"): 403 with an RFC 6750 §3.1 <c>insufficient_scope</c>
/// challenge naming every scope needed (the token's and the missing ones), so the client authorizes again with them.
/// </summary>
internal sealed class InsufficientScope(ServerUris uris, ProtectedResources resources, McpRefusals refusals)
{
    /// <param name="context">The request.</param>
    /// <param name="missing">The scopes the token lacks.</param>
    /// <param name="endpointWide">Whether the endpoint needs them for every request, rather than the request's tool, prompt or resource.</param>
    /// <param name="id">The JSON-RPC request's id, when known.</param>
    public async Task RefuseAsync(HttpContext context, string[] missing, bool endpointWide, RequestId id = default)
    {
        var held = (context.User.FindFirst("scope")?.Value ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(s => s != McpOAuthDefaults.OfflineAccessScope);
        (AuthenticateChallenge.Bearer() with
        {
            Error = "insufficient_scope",
            Scope = string.Join(' ', held.Concat(missing).Distinct(StringComparer.Ordinal)),
            ResourceMetadata = ProtectedResourceMetadataPath.UriFor(context, uris, resources),
            ErrorDescription = endpointWide ? "This endpoint needs more scopes: authorize again with them" : "This request needs more scopes: authorize again with them",
        }).AppendTo(context.Response);
        context.Response.Headers.CacheControl = "no-store";
        await refusals.RefuseAsync(context, StatusCodes.Status403Forbidden, "insufficient_scope", (endpointWide ? "Insufficient scope: this endpoint needs " : "Insufficient scope: this needs ") + string.Join(' ', missing) + ".", id: id);
    }
}
