using Microsoft.AspNetCore.Builder;

namespace McpSseAuth;

/// <summary>Marks that <c>AddMcpOAuth</c> ran, and remembers what <c>MapMcpSse</c> mapped so a second call maps nothing twice.</summary>
internal sealed class McpOAuthMarker
{
    public Dictionary<(object Endpoints, string Streamable, string? Sse), IEndpointConventionBuilder> Mapped { get; } = [];

    /// <summary>The authorization server's endpoints, once mapped.</summary>
    public IEndpointConventionBuilder? AuthorizationServer { get; set; }
}
