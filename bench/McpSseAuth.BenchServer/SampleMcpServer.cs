using McpSseAuth.SampleServer;
using Microsoft.Extensions.DependencyInjection;

namespace McpSseAuth.BenchServer;

/// <summary>The sample's MCP part as McpSseAuth configures it, without McpSseAuth: the baselines of the benchmarks (here and in the micro-benchmarks).</summary>
internal static class SampleMcpServer
{
    /// <summary>The sample's tools; Streamable HTTP with sessions for clients that initialize, and legacy SSE.</summary>
    public static IMcpServerBuilder AddSampleMcpServer(this IServiceCollection services)
    {
#pragma warning disable MCP9004 // Legacy SSE is obsolete in the SDK; the benchmarks measure it because McpSseAuth serves it.
        return services.AddMcpServer()
            .WithHttpTransport(o =>
            {
                o.EnableLegacySse = true;
                o.SessionMode = ModelContextProtocol.AspNetCore.HttpServerSessionMode.StatefulForInitializeClients;
            })
            .WithTools<SampleTools>();
#pragma warning restore MCP9004
    }
}
