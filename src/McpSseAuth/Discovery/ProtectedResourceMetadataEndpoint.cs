using McpSseAuth.Resources;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using ModelContextProtocol;
using ModelContextProtocol.Authentication;

namespace McpSseAuth.Discovery;

/// <summary>
/// One protected resource metadata document (RFC 9728) per mapped MCP endpoint, at <c>/.well-known/oauth-protected-resource</c>
/// followed by the endpoint's path (§3.1). <c>/sse</c> and <c>/message</c> share the <c>/sse</c> resource, because
/// clients require the document's <c>resource</c> to match the URL they connected to. Paths that are not MCP endpoints
/// get 404. Served as an endpoint, not by the SDK's authentication handler: an authentication handler that serves requests
/// is created and asked on every request of the app, these documents on their own.
/// </summary>
internal sealed class ProtectedResourceMetadataEndpoint(ServerUris uris, ProtectedResources resources, IOptions<McpOAuthOptions> options)
{
    /// <summary>The route of the documents below the well-known path.</summary>
    public const string SuffixRoute = McpOAuthDefaults.ProtectedResourceMetadataPath + "/{**resource}";

    public Task HandleAsync(HttpContext context)
    {
        var suffix = context.Request.Path.StartsWithSegments(McpOAuthDefaults.ProtectedResourceMetadataPath, out var rest) ? rest : PathString.Empty;
        if (!resources.TryGetResource(suffix.HasValue ? suffix : "/", out var resourcePath))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }

        var metadata = new ProtectedResourceMetadata
        {
            Resource = uris.Resource(context, resourcePath),
            AuthorizationServers = [uris.Issuer(context)],
            // The basic scopes and those the whole endpoint needs, so clients ask for those first and step up when a
            // call needs more (MCP scope selection); refresh tokens are no resource requirement (MCP 2026-07-28):
            // never offline_access.
            ScopesSupported = [.. resources.ScopesFor(resourcePath, options.Value.Scopes.Default)],
            BearerMethodsSupported = ["header"],
            ResourceName = options.Value.ResourceName,
        };
        if (options.Value.Dpop.Enabled)
        {
            // RFC 9728 §2 with RFC 9449: the proofs this resource checks, and whether it takes DPoP-bound tokens only.
            metadata.DpopSigningAlgValuesSupported = [.. Dpop.DpopProofs.Algorithms];
            metadata.DpopBoundAccessTokensRequired = options.Value.Dpop.Required;
        }

        context.Response.Headers.CacheControl = uris.MetadataCacheControl;
        return context.Response.WriteAsJsonAsync(metadata, McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(ProtectedResourceMetadata)), contentType: "application/json", context.RequestAborted);
    }
}
