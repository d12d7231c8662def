using Microsoft.AspNetCore.Builder;

namespace McpSseAuth.Hosting;

/// <summary>What <c>MapMcpSse</c> and <c>MapMcpOAuth</c> mapped, so a second call maps nothing twice; its registration also shows that <c>AddMcpOAuth</c> ran.</summary>
internal sealed class MappedEndpoints
{
    public Dictionary<(object Endpoints, string Streamable, string? Sse), IEndpointConventionBuilder> Mapped { get; } = [];

    /// <summary>The authorization server's endpoints, once mapped.</summary>
    public IEndpointConventionBuilder? AuthorizationServer { get; set; }
}
