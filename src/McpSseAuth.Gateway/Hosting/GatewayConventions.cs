using Microsoft.AspNetCore.Builder;

namespace McpSseAuth.Gateway.Hosting;

/// <summary>The conventions builder <c>MapMcpGateway</c> returns: a convention applies to every gateway endpoint.</summary>
internal sealed class GatewayConventions(IReadOnlyList<IEndpointConventionBuilder> builders) : IEndpointConventionBuilder
{
    public void Add(Action<EndpointBuilder> convention)
    {
        foreach (var builder in builders)
        {
            builder.Add(convention);
        }
    }

    public void Finally(Action<EndpointBuilder> finallyConvention)
    {
        foreach (var builder in builders)
        {
            builder.Finally(finallyConvention);
        }
    }
}
