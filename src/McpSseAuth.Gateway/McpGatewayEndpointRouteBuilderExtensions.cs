using McpSseAuth.Gateway.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the MCP gateway's endpoints.</summary>
public static class McpGatewayEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps each server behind the gateway at its own paths (<c>/{name}/mcp</c> and <c>/{name}/sse</c> by default) as its
    /// own protected resource — its own metadata document and audience, access rules and scopes — and the aggregated
    /// endpoint (<c>/mcp</c> and <c>/sse</c> by default), plus McpSseAuth's authorization server. A second call returns the
    /// same builder.
    /// </summary>
    /// <param name="endpoints">The app.</param>
    /// <returns>A builder for conventions applied to every gateway endpoint.</returns>
    /// <exception cref="InvalidOperationException"><c>AddMcpGateway()</c> was not called.</exception>
    public static IEndpointConventionBuilder MapMcpGateway(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var routes = endpoints.ServiceProvider.GetService<GatewayRoutes>()
            ?? throw new InvalidOperationException("You must call AddMcpGateway() before MapMcpGateway(). Call builder.Services.AddMcpGateway(builder.Configuration) in application startup code.");
        lock (routes)
        {
            if (routes.Mapped is { } mapped)
            {
                return mapped;
            }

            var builders = new List<IEndpointConventionBuilder>();
            foreach (var backend in routes.Backends)
            {
                var builder = endpoints.MapMcpSse(backend.StreamablePath, backend.SsePath).WithMetadata(new GatewayEndpoint(backend));
                if (backend.Server.AccessRules.HasRules)
                {
                    builder.RequireMcpAccessRules(backend.Server.AccessRules);
                }

                if (backend.Server.RequiredScopes.Count > 0)
                {
                    builder.RequireMcpScopes([.. backend.Server.RequiredScopes]);
                }

                builders.Add(builder);
            }

            var aggregate = routes.Options.Aggregate;
            if (aggregate.Enabled)
            {
                builders.Add(endpoints.MapMcpSse(aggregate.StreamablePath, aggregate.SsePath).WithMetadata(new GatewayEndpoint(null)));
            }

            return routes.Mapped = new GatewayConventions(builders);
        }
    }
}
