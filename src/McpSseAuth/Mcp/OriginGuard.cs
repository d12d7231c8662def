using McpSseAuth.Resources;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Mcp;

/// <summary>
/// DNS rebinding protection (MCP transports, "Security Warning" / Streamable HTTP "Security &amp; Endpoint": servers MUST
/// validate the <c>Origin</c> header, and answer 403 when it is present and invalid). A page of another site whose name was
/// made to point at this server sends its own origin: accepted are only this server's origin — the configured issuer's, or
/// with an issuer derived from the request, the request's own on a loopback name (a derived issuer would take any Host for
/// its own) — and <see cref="McpOAuthOptions.AllowedOrigins"/>. Requests without <c>Origin</c> (every non-browser client)
/// pass.
/// </summary>
internal sealed class OriginGuard(ServerUris uris, McpRefusals refusals, IOptions<McpOAuthOptions> options)
{
    public ValueTask<bool> AdmitsAsync(HttpContext context)
    {
        var origin = context.Request.Headers.Origin;
        return origin.Count == 0 || (origin.Count == 1 && IsAllowed(context, origin[0]))
            ? ValueTask.FromResult(true)
            : RefuseAsync(context);
    }

    private bool IsAllowed(HttpContext context, string? origin)
    {
        if (Canonical(origin) is not { } given)
        {
            return false;
        }

        var o = options.Value;
        if (o.AllowedOrigins.Any(a => string.Equals(Canonical(a), given, StringComparison.Ordinal)))
        {
            return true;
        }

        var own = Canonical(uris.Issuer(context));
        return string.Equals(own, given, StringComparison.Ordinal)
            && (o.Issuer is not null || (Uri.TryCreate(given, UriKind.Absolute, out var uri) && uri.IsLoopback));
    }

    /// <summary>scheme://host[:port], lower case, default port dropped; null for "null" and anything that is not an http(s) origin.</summary>
    public static string? Canonical(string? origin)
        => Uri.TryCreate(origin, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.UserInfo.Length == 0
            ? uri.GetLeftPart(UriPartial.Authority).ToLowerInvariant()
            : null;

    private async ValueTask<bool> RefuseAsync(HttpContext context)
    {
        await refusals.RefuseAsync(context, StatusCodes.Status403Forbidden, "origin", "Forbidden: requests from this Origin are not accepted (DNS rebinding protection). Add the origin to McpOAuthOptions.AllowedOrigins if it is yours.");
        return false;
    }
}
