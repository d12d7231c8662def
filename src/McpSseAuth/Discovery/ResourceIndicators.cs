using McpSseAuth.Http;
using Microsoft.AspNetCore.Http;

namespace McpSseAuth.Discovery;

/// <summary>
/// Resolves the <c>resource</c> parameter (RFC 8707) to one of the resources this server protects, compared in
/// canonical form. When none is named, the first mapped MCP endpoint is meant (clients that predate RFC 8707).
/// </summary>
internal sealed class ResourceIndicators(ServerUris uris, ProtectedResources resources)
{
    public string? Resolve(HttpContext context, string? requested, out OAuthError? error)
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
            return known[0];
        }

        var canonical = ServerUris.CanonicalResource(requested);
        var match = canonical is null ? null : Array.Find(known, k => string.Equals(k, canonical, StringComparison.Ordinal));
        if (match is null)
        {
            error = OAuthError.InvalidTarget("The resource parameter does not name an MCP endpoint protected by this server.");
        }

        return match;
    }
}
