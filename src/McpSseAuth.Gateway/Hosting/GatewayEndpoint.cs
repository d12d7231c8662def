using McpSseAuth.Gateway.Backends;

namespace McpSseAuth.Gateway.Hosting;

/// <summary>Endpoint metadata: this MCP endpoint is a server's own (<see cref="Backend"/>), or the aggregate (null).</summary>
/// <param name="Backend">The server, or null for the aggregated endpoint.</param>
internal sealed record GatewayEndpoint(BackendRoute? Backend);
