using McpSseAuth.Gateway.Backends;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Gateway.Hosting;

/// <summary>The servers behind the gateway as checked at startup, in configuration order, without the disabled ones.</summary>
internal sealed class GatewayRoutes(IOptions<McpGatewayOptions> options)
{
    private readonly Lazy<IReadOnlyList<BackendRoute>> _backends = new(() =>
        [.. options.Value.McpServers.Where(s => !s.Value.Disabled).Select(s => BackendRoute.From(s.Key, s.Value))]);

    public IReadOnlyList<BackendRoute> Backends => _backends.Value;

    public McpGatewayOptions Options => options.Value;

    /// <summary>What <c>MapMcpGateway</c> returned, once called.</summary>
    public Microsoft.AspNetCore.Builder.IEndpointConventionBuilder? Mapped { get; set; }
}
