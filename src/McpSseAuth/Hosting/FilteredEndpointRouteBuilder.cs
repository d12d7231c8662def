using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Primitives;

namespace McpSseAuth.Hosting;

/// <summary>
/// Lets <c>MapMcp</c> map into a private list so only some of its endpoints reach the app: the SDK maps Streamable
/// HTTP and legacy SSE under one prefix, and we want Streamable HTTP at <c>/mcp</c> and legacy SSE at <c>/sse</c>.
/// </summary>
internal sealed class FilteredEndpointRouteBuilder(IEndpointRouteBuilder inner) : IEndpointRouteBuilder
{
    public IServiceProvider ServiceProvider => inner.ServiceProvider;

    public ICollection<EndpointDataSource> DataSources { get; } = [];

    public IApplicationBuilder CreateApplicationBuilder() => inner.CreateApplicationBuilder();

    /// <summary>Adds the mapped endpoints that pass <paramref name="keep"/> to the real app.</summary>
    public void Commit(Func<RouteEndpoint, bool> keep) => inner.DataSources.Add(new FilteredDataSource([.. DataSources], keep));

    private sealed class FilteredDataSource(IReadOnlyList<EndpointDataSource> sources, Func<RouteEndpoint, bool> keep) : EndpointDataSource
    {
        public override IReadOnlyList<Endpoint> Endpoints => [.. sources.SelectMany(s => s.Endpoints).Where(Keep)];

        public override IReadOnlyList<Endpoint> GetGroupedEndpoints(RouteGroupContext context)
            => [.. sources.SelectMany(s => s.GetGroupedEndpoints(context)).Where(Keep)];

        public override IChangeToken GetChangeToken()
            => new CompositeChangeToken([.. sources.Select(s => s.GetChangeToken())]);

        private bool Keep(Endpoint endpoint) => endpoint is RouteEndpoint route && keep(route);
    }
}
