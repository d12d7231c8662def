using Microsoft.AspNetCore.Builder;

namespace McpSseAuth.Hosting;

/// <summary>Applies conventions (<c>RequireCors</c>, <c>RequireRateLimiting</c>, ...) to every MCP endpoint group at once.</summary>
internal sealed class CompositeConventionBuilder(IReadOnlyList<IEndpointConventionBuilder> builders) : IEndpointConventionBuilder
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
