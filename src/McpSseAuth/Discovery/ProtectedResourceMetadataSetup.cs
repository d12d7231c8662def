using McpSseAuth.Http;
using McpSseAuth.Resources;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using ModelContextProtocol.AspNetCore.Authentication;
using ModelContextProtocol.Authentication;

namespace McpSseAuth.Discovery;

/// <summary>
/// Configures the SDK's MCP authentication scheme: authentication forwarded to our bearer scheme (McpBearerHandler), and one
/// protected resource metadata document (RFC 9728) per mapped MCP endpoint. <c>/sse</c> and <c>/message</c> share
/// the <c>/sse</c> resource, because clients require the PRM <c>resource</c> to match the URL they connected to.
/// Paths that are not MCP endpoints get no document.
/// </summary>
internal sealed class ProtectedResourceMetadataSetup(ServerUris uris, ProtectedResources resources, PublicCors cors, IOptions<McpOAuthOptions> options)
    : IConfigureNamedOptions<McpAuthenticationOptions>
{
    public void Configure(McpAuthenticationOptions mcp) => Configure(Options.DefaultName, mcp);

    public void Configure(string? name, McpAuthenticationOptions mcp)
    {
        if (name != McpAuthenticationDefaults.AuthenticationScheme)
        {
            return;
        }

        mcp.ForwardAuthenticate = McpOAuthDefaults.BearerScheme;
        mcp.Events.OnResourceMetadataRequest = context =>
        {
            var http = context.HttpContext;
            if (cors.Apply(http))
            {
                context.HandleResponse();
                return Task.CompletedTask;
            }

            var suffix = http.Request.Path.StartsWithSegments(McpOAuthDefaults.ProtectedResourceMetadataPath, out var rest) ? rest : PathString.Empty;
            if (!resources.TryGetResource(suffix.HasValue ? suffix : "/", out var resourcePath))
            {
                context.SkipHandler();
                return Task.CompletedTask;
            }

            context.ResourceMetadata = new ProtectedResourceMetadata
            {
                Resource = uris.Resource(http, resourcePath),
                AuthorizationServers = [uris.Issuer(http)],
                // The basic scopes and those the whole endpoint needs, so clients ask for those first and step up when a
                // call needs more (MCP scope selection); refresh tokens are no resource requirement (MCP 2026-07-28):
                // never offline_access.
                ScopesSupported = [.. resources.ScopesFor(resourcePath, options.Value.Scopes.Default)],
                BearerMethodsSupported = ["header"],
                ResourceName = options.Value.ResourceName,
            };
            http.Response.Headers.CacheControl = uris.MetadataCacheControl;
            return Task.CompletedTask;
        };
    }
}
