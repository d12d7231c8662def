using McpSseAuth.Http;
using Microsoft.AspNetCore.Http;

namespace McpSseAuth.Resources;

/// <summary>
/// Resolves the <c>resource</c> parameter (RFC 8707) to one of the resources this server protects, compared in
/// canonical form. When none is named (clients that predate RFC 8707, often the legacy SSE ones), the grant is for every
/// MCP endpoint of this server, so the token works on whichever endpoint the client connects to.
/// </summary>
internal sealed class ResourceIndicators(ServerUris uris, ProtectedResources resources)
{
    public IReadOnlyList<string>? Resolve(HttpContext context, string? requested, out OAuthError? error)
    {
        error = null;
        var known = resources.Resources.Select(path => uris.Resource(context, path)).ToArray();
        if (known.Length == 0)
        {
            error = OAuthError.InvalidTarget("This server protects no MCP endpoint yet: call app.MapMcpSse().");
            return null;
        }

        if (requested is null)
        {
            return known;
        }

        var canonical = ServerUris.CanonicalResource(requested);
        var match = canonical is null ? null : Array.Find(known, k => string.Equals(k, canonical, StringComparison.Ordinal));
        if (match is null)
        {
            error = OAuthError.InvalidTarget("The resource parameter does not name an MCP endpoint protected by this server.");
            return null;
        }

        return [match];
    }
}
