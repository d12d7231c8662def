using McpSseAuth.Http;
using McpSseAuth.Resources;
using Microsoft.AspNetCore.Http;
using ModelContextProtocol.Protocol;

namespace McpSseAuth.Mcp;

/// <summary>
/// The step-up answer (MCP authorization "Scope Challenge Handling"): 403 with an RFC 6750 §3.1 <c>insufficient_scope</c>
/// challenge naming every scope needed at once, so the client authorizes again with them. Which scopes: for a request of
/// revision 2026-07-28 or later, the scopes the current operation needs — the resource's and the tool's, prompt's or
/// resource's (SEP-2350, "Server Scope Management": "the scopes needed to satisfy the current operation"; the client
/// unions them with what it asked for before, "Step-Up Authorization Flow" step 2). Older clients may replace their scopes
/// with the challenge's, so they are also given the token's, lest a step-up lose what was granted.
/// </summary>
internal sealed class InsufficientScope(ServerUris uris, ProtectedResources resources, McpRefusals refusals, Microsoft.Extensions.Options.IOptions<McpOAuthOptions> options)
{
    /// <param name="context">The request.</param>
    /// <param name="missing">The scopes the token lacks.</param>
    /// <param name="endpointWide">Whether the endpoint needs them for every request, rather than the request's tool, prompt or resource.</param>
    /// <param name="id">The JSON-RPC request's id, when known.</param>
    /// <param name="required">What the request's tool, prompt or resource needs, missing or not.</param>
    public async Task RefuseAsync(HttpContext context, string[] missing, bool endpointWide, RequestId id = default, IEnumerable<string>? required = null)
    {
        var named = StandardHeaders.OfRevisionWithHeaders(context.Request)
            ? resources.ScopesFor(ProtectedResourceMetadataPath.Of(context, resources), options.Value.Scopes.Default).Concat(required ?? [])
            : (context.User.FindFirst("scope")?.Value ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(s => s != McpOAuthDefaults.OfflineAccessScope);
        // A DPoP client is answered in its own scheme (RFC 9449 §7.1).
        ((AuthenticateChallenge.UsesDpop(context.Request) ? AuthenticateChallenge.Dpop(Dpop.DpopProofs.Algorithms) : AuthenticateChallenge.Bearer()) with
        {
            Error = "insufficient_scope",
            Scope = string.Join(' ', named.Concat(missing).Distinct(StringComparer.Ordinal)),
            ResourceMetadata = ProtectedResourceMetadataPath.UriFor(context, uris, resources),
            ErrorDescription = endpointWide ? "This endpoint needs more scopes: authorize again with them" : "This request needs more scopes: authorize again with them",
        }).AppendTo(context.Response);
        context.Response.Headers.CacheControl = "no-store";
        await refusals.RefuseAsync(context, StatusCodes.Status403Forbidden, "insufficient_scope", (endpointWide ? "Insufficient scope: this endpoint needs " : "Insufficient scope: this needs ") + string.Join(' ', missing) + ".", id: id);
    }
}
